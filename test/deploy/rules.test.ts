// The alert rules' conventions (monitoring-mixins style) and their links into the runbook:
// every alert the operators were promised exists, carries a severity, a static summary, a
// templated description and a runbook_url whose anchor exists in docs/OPERATIONS.md.
// promtool check/test rules (semantics) run in .ci/deploy-checks.sh.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUNBOOK_BASE } from '../../src/cli/rules.js';
import { loadRules, readRepoFile } from './promql.js';

const EXPECTED_ALERTS = [
  'OioRepairdDown', 'OioRepairdCorruptionDetected', 'OioRepairdUnrepairableContainers',
  'OioRepairdRepairsFailing', 'OioRepairdRepairBudgetExhausted', 'OioRepairdSweepOverdue',
  'OioRepairdSweepIncomplete', 'OioRepairdProxyErrorsHigh', 'OioRepairdConfigReloadFailed', 'OioRepairdUnsupportedProxy',
  'OioRepairdStorageNotWritable', 'OioRepairdStateFileCorrupt', 'OioRepairdSweepStalled', 'OioRepairdServiceKeepsNeedingRepairs', 'OioRepairdCircuitBreakerOpen',
  'OioRepairdFleetSmallerThanExpected', 'OioRepairdFleetBucketsUnowned', 'OioRepairdFleetSessionLost',
];

const rules = loadRules();
const alerts = rules.filter((r) => r.alert !== undefined);

/** Heading anchors as GitHub/GitLab compute them: lower case, punctuation dropped, spaces → -. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add((m[1] ?? '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return out;
}

describe('deploy/prometheus/oio-repaird.rules.yml', () => {
  it('defines exactly the promised alerts, once each', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([...EXPECTED_ALERTS].sort());
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s has a severity and the three annotations', (_n, a) => {
    expect(['critical', 'warning', 'info']).toContain(a.labels?.['severity']);
    expect(a.annotations?.['summary']).toMatch(/\.$/);
    expect(a.annotations?.['summary']).not.toContain('{{');
    expect(a.annotations?.['description']).toMatch(/\{\{ .*\$(labels|value).* \}\}/);
    expect(a.annotations?.['runbook_url']).toMatch(/#[a-z0-9-]+$/);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s links to its own runbook section in docs/OPERATIONS.md', (name, a) => {
    const anchor = a.annotations?.['runbook_url']?.split('#')[1];
    expect(anchor).toBe(name?.toLowerCase());
    expect(anchors(readRepoFile('docs/OPERATIONS.md'))).toContain(anchor);
  });

  it('all runbook links share the shipped base (the daemon\'s /runbook), which `oio-repaird rules --runbook-base` rewrites', () => {
    const bases = new Set(alerts.map((a) => a.annotations?.['runbook_url']?.slice(0, a.annotations['runbook_url'].lastIndexOf('#'))));
    expect([...bases]).toEqual([DEFAULT_RUNBOOK_BASE]);
    expect(readRepoFile('docs/OPERATIONS.md')).toContain('oio-repaird rules --runbook-base');
  });

  it('has a firing and a quiet promtool case for every alert', () => {
    const tests = readRepoFile('deploy/prometheus/oio-repaird.rules.test.yml');
    for (const name of EXPECTED_ALERTS) {
      const blocks = tests.split(/\n\s*- eval_time:/).filter((b) => b.includes(`alertname: ${name}\n`));
      expect(blocks.some((b) => /exp_alerts:\s*\n\s*- exp_labels/.test(b)), `${name} fires`).toBe(true);
      expect(blocks.some((b) => /exp_alerts: \[\]/.test(b)), `${name} stays quiet`).toBe(true);
    }
  });

  it('only ever selects the oio-repaird scrape job', () => {
    for (const r of rules) {
      for (const m of r.expr.matchAll(/\{([^}]*)\}/g)) expect(m[1], r.expr).toMatch(/job="oio-repaird"/);
    }
  });
});
