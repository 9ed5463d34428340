// The Grafana dashboard checked against grafana/dashboard-linter's rules (the Go linter is not
// installable here): templated datasource/job/instance, and every panel titled, described,
// with a unit, on the templated datasource, with job+instance matchers and $__rate_interval.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { loadDashboard, rangesIn, selectorsIn, type Panel } from './promql.js';

const dashboard = loadDashboard();
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const rows = dashboard.panels.filter((p) => p.type === 'row');
const DS_UID = '${datasource}';

/** Every series name a target could select: daemon metrics, their histogram series, and `up`. */
async function selectableNames(): Promise<Set<string>> {
  const json = await createMetrics({ defaultMetrics: true }).registry.getMetricsAsJSON();
  return new Set(['up', ...json.flatMap((m) => [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`])]);
}

const byTitle = (p: Panel): string => p.title ?? `panel ${p.id}`;

describe('Grafana dashboard deploy/grafana/oio-repaird.json', () => {
  it('has a fixed uid, a title and no instance-specific id, so re-imports update it in place', () => {
    expect(dashboard.uid).toBe('oio-repaird');
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.id).toBeNull();
  });

  it('templates the datasource, job and instance', () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.get('job')).toMatchObject({ type: 'query', datasource: { uid: DS_UID } });
    expect(vars.get('instance')).toMatchObject({ type: 'query', datasource: { uid: DS_UID } });
  });

  it('is laid out in the rows overview, sweeps, probes, repairs, fleet, process', () => {
    expect(rows.map((r) => r.title)).toEqual(['Overview', 'Sweeps', 'Probes', 'Repairs', 'Fleet', 'Process']);
  });

  it('has unique panel ids and no overlapping panels', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const overlaps: string[] = [];
    dashboard.panels.forEach((a, i) => dashboard.panels.slice(i + 1).forEach((b) => {
      const ga = a.gridPos; const gb = b.gridPos;
      if (ga.x < gb.x + gb.w && gb.x < ga.x + ga.w && ga.y < gb.y + gb.h && gb.y < ga.y + ga.h) overlaps.push(`${byTitle(a)} / ${byTitle(b)}`);
      expect(ga.x + ga.w).toBeLessThanOrEqual(24);
    }));
    expect(overlaps).toEqual([]);
  });

  it.each(panels.map((p) => [byTitle(p), p] as const))('panel "%s" has a title, a description and a unit', (_t, p) => {
    expect(p.title?.trim()).toBeTruthy();
    expect(p.description?.trim().length ?? 0).toBeGreaterThan(20);
    expect(p.fieldConfig?.defaults?.unit).toBeTruthy();
  });

  it.each(panels.map((p) => [byTitle(p), p] as const))('panel "%s" queries the templated datasource', (_t, p) => {
    expect(p.datasource?.uid).toBe(DS_UID);
    expect(p.targets?.length ?? 0).toBeGreaterThan(0);
    for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe(DS_UID);
  });

  it.each(panels.map((p) => [byTitle(p), p] as const))('panel "%s" selects every series by $job and $instance', async (_t, p) => {
    const names = await selectableNames();
    for (const t of p.targets ?? []) {
      const selectors = selectorsIn(t.expr, names);
      expect(selectors.length, t.expr).toBeGreaterThan(0);
      for (const s of selectors) {
        expect(s.matchers, `${s.name} in ${t.expr}`).toMatch(/\bjob=~"\$job"/);
        expect(s.matchers, `${s.name} in ${t.expr}`).toMatch(/\binstance=~"\$instance"/);
      }
    }
  });

  it.each(panels.map((p) => [byTitle(p), p] as const))('panel "%s" uses $__rate_interval for every range', (_t, p) => {
    for (const t of p.targets ?? []) {
      for (const range of rangesIn(t.expr)) expect(range, t.expr).toBe('$__rate_interval');
      if (/\b(rate|irate|increase)\(/.test(t.expr)) expect(t.expr).toContain('[$__rate_interval]');
    }
  });

  it.each(panels.map((p) => [byTitle(p), p] as const))('panel "%s" has balanced PromQL', (_t, p) => {
    for (const t of p.targets ?? []) {
      const count = (c: string): number => t.expr.split(c).length - 1;
      expect([count('('), count('{'), count('[')], t.expr).toEqual([count(')'), count('}'), count(']')]);
      expect(count('"') % 2, t.expr).toBe(0);
    }
  });

  it('shows what the brief asks for in each row', () => {
    const exprs = (title: string): string => {
      const start = dashboard.panels.findIndex((p) => p.type === 'row' && p.title === title);
      const next = dashboard.panels.findIndex((p, i) => i > start && p.type === 'row');
      return dashboard.panels.slice(start + 1, next === -1 ? undefined : next).flatMap((p) => p.targets ?? []).map((t) => t.expr).join('\n');
    };
    expect(exprs('Overview')).toMatch(/\bup\{/);
    expect(exprs('Overview')).toContain('oio_repaird_last_sweep_success_timestamp_seconds');
    expect(exprs('Overview')).toContain('oio_repaird_damaged_replicas');
    expect(exprs('Overview')).toContain('oio_repaird_unrepairable_containers');
    expect(exprs('Sweeps')).toContain('oio_repaird_sweep_progress_containers');
    expect(exprs('Sweeps')).toContain('oio_repaird_sweep_duration_seconds');
    expect(exprs('Probes')).toMatch(/sum by \(result\) \(rate\(oio_repaird_probes_total/);
    expect(exprs('Probes')).toMatch(/sum by \(le, route\).*oio_repaird_proxy_request_duration_seconds_bucket/);
    expect(exprs('Repairs')).toMatch(/sum by \(outcome\).*oio_repaird_repairs_total/);
    expect(exprs('Repairs')).toContain('oio_repaird_repair_budget_remaining');
    for (const fleet of [
      'oio_repaird_fleet_members', 'oio_repaird_fleet_expected_members', 'oio_repaird_fleet_session_up', 'oio_repaird_fleet_epoch',
      'oio_repaird_fleet_buckets_done', 'oio_repaird_fleet_owned_buckets_done', 'oio_repaird_fleet_lock_contention_total',
      'oio_repaird_fleet_fenced_requests_total', 'oio_repaird_fleet_budget_remaining',
    ]) expect(exprs('Fleet')).toContain(fleet);
    expect(exprs('Fleet')).toMatch(/sum by \(job\) \(oio_repaird_fleet_owned_buckets\{/);
    expect(exprs('Process')).toContain('process_resident_memory_bytes');
    expect(exprs('Process')).toContain('nodejs_eventloop_lag_seconds');
  });
});
