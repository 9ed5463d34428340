// Proves that the alert rules and the Grafana dashboard only use metrics the daemon exports
// (src/metrics/metrics.ts, plus prom-client's default process metrics and Prometheus's `up`),
// and only label values the daemon can emit: a renamed metric must break this test, not a
// dashboard panel in production.
import { describe, expect, it } from 'vitest';
import { CODE_CLASSES, createMetrics, DETECTION_KINDS, PROBE_RESULTS, PROXY_ROUTES } from '../../src/metrics/metrics.js';
import {
  equalityValuesIn, loadDashboard, loadRules, seriesNamesIn, selectorsIn, variableQuery,
} from './promql.js';

interface Exported { readonly type: string; readonly labels: Map<string, Set<string>> }

/** name → type and label values, from the daemon's own registry (zero-initialised series). */
async function exportedMetrics(defaultMetrics: boolean): Promise<Map<string, Exported>> {
  const json = await createMetrics({ defaultMetrics }).registry.getMetricsAsJSON();
  const out = new Map<string, Exported>();
  for (const metric of json) {
    const labels = new Map<string, Set<string>>();
    for (const v of metric.values) {
      for (const [k, value] of Object.entries(v.labels)) {
        if (!labels.has(k)) labels.set(k, new Set());
        labels.get(k)?.add(String(value));
      }
    }
    out.set(metric.name, { type: String(metric.type), labels });
  }
  return out;
}

/** Label values declared as constants but not zero-initialised (histogram labels, routes). */
const DECLARED_VALUES: Record<string, readonly string[]> = {
  code_class: CODE_CLASSES,
  route: PROXY_ROUTES,
  result: PROBE_RESULTS,
  kind: DETECTION_KINDS,
};

/** Series Prometheus itself makes for every target. */
const PROMETHEUS_SERIES = new Set(['up']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/** The exported metric behind a series name (histogram suffixes stripped), or undefined. */
function exportedFamily(series: string, exported: Map<string, Exported>): string | undefined {
  if (exported.has(series)) return series;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!series.endsWith(suffix)) continue;
    const base = series.slice(0, -suffix.length);
    if (exported.get(base)?.type === 'histogram') return base;
  }
  return undefined;
}

const rules = loadRules();
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const dashboard = loadDashboard();
const dashboardExprs = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.flatMap((v) => variableQuery(v) ?? []),
];
const sources: Array<[string, string[]]> = [
  ['alert and recording rules', rules.map((r) => r.expr)],
  ['dashboard targets and variables', dashboardExprs],
];

describe('metric names used by deploy/', () => {
  it('finds metric names in the expressions at all (guards the scanner itself)', () => {
    const names = seriesNamesIn('sum by (job, le) (rate(oio_repaird_x_bucket{job="a",kind="b"}[5m])) > 2 * 86400 and on (job) (up offset 2d)');
    expect(names.sort()).toEqual(['oio_repaird_x_bucket', 'up']);
  });

  it.each(sources)('%s use only series the daemon or Prometheus export', async (_what, exprs) => {
    const exported = await exportedMetrics(true);
    const unknown: string[] = [];
    for (const expr of exprs) {
      for (const name of seriesNamesIn(expr)) {
        if (PROMETHEUS_SERIES.has(name) || recorded.has(name)) continue;
        if (!exportedFamily(name, exported)) unknown.push(name);
      }
    }
    expect(unknown).toEqual([]);
    expect(exprs.length).toBeGreaterThan(0);
  });

  it('every oio_repaird_ name used exists even without the default process metrics', async () => {
    const own = await exportedMetrics(false);
    const used = [...rules.map((r) => r.expr), ...dashboardExprs]
      .flatMap((e) => seriesNamesIn(e))
      .filter((n) => n.startsWith('oio_repaird_'));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !exportedFamily(n, own))).toEqual([]);
  });

  it('uses default process metrics that prom-client really collects', async () => {
    const withDefaults = await exportedMetrics(true);
    const defaults = [...dashboardExprs, ...rules.map((r) => r.expr)]
      .flatMap((e) => seriesNamesIn(e))
      .filter((n) => n.startsWith('process_') || n.startsWith('nodejs_'));
    expect(defaults).toEqual(expect.arrayContaining(['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']));
    expect(defaults.filter((n) => !exportedFamily(n, withDefaults))).toEqual([]);
  });

  it('every recorded series a rule reads is recorded by a rule', () => {
    const read = rules.flatMap((r) => seriesNamesIn(r.expr)).filter((n) => n.includes(':'));
    expect(read.length).toBeGreaterThan(0);
    expect(read.filter((n) => !recorded.has(n))).toEqual([]);
  });

  it.each(sources)('%s only match label values the daemon emits', async (_what, exprs) => {
    const exported = await exportedMetrics(true);
    const names = new Set([...exported.keys()].flatMap((n) => [n, ...HISTOGRAM_SUFFIXES.map((s) => n + s)]));
    const wrong: string[] = [];
    for (const expr of exprs) {
      for (const sel of selectorsIn(expr, names)) {
        const family = exportedFamily(sel.name, exported);
        if (!family || sel.matchers === undefined) continue;
        for (const [label, values] of equalityValuesIn(sel.matchers)) {
          if (label === 'job' || label === 'instance' || values.some((v) => v.startsWith('$'))) continue;
          const known = new Set([...(exported.get(family)?.labels.get(label) ?? []), ...(DECLARED_VALUES[label] ?? [])]);
          for (const v of values) if (!known.has(v)) wrong.push(`${family}{${label}="${v}"}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
