// The pieces of the daemon's sweep assembly that hold logic: configuration → repair policy and
// account filter, and the request observer feeding the proxy metrics.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { accountFilter, proxyRequestObserver, repairPolicy } from '../../src/daemon/sweeper.js';
import { createMetrics } from '../../src/metrics/metrics.js';

const base = { proxy: { url: 'http://127.0.0.1:6006', namespace: 'OPENIO' } };

async function count(metrics: ReturnType<typeof createMetrics>, route: string, codeClass: string): Promise<number> {
  const { values } = await metrics.proxyRequestDuration.get();
  return values.find((v) => v.metricName === 'oio_repaird_proxy_request_duration_seconds_count' && v.labels.route === route && v.labels.code_class === codeClass)?.value ?? 0;
}

describe('repairPolicy', () => {
  it('maps report-only and dryRun to report-only, minutes to seconds, and keeps repairMaster', () => {
    const auto = repairPolicy(configSchema.parse({ ...base, repair: { cooldownMinutes: 2, repairMaster: false } }));
    expect(auto).toMatchObject({ mode: 'auto', cooldownSeconds: 120, repairMaster: false, maxPerSweep: 50, maxPerHour: 100 });
    expect(repairPolicy(configSchema.parse({ ...base, repair: { mode: 'report-only' } })).mode).toBe('report-only');
    expect(repairPolicy(configSchema.parse({ ...base, repair: { dryRun: true } })).mode).toBe('report-only');
  });
});

describe('accountFilter', () => {
  it('passes includes and both kinds of excludes through', () => {
    expect(accountFilter(configSchema.parse({ ...base, accounts: { exclude: { names: ['x'], prefixes: ['tmp-'] } } })))
      .toEqual({ include: 'all', exclude: ['x'], excludePrefixes: ['tmp-'] });
    expect(accountFilter(configSchema.parse({ ...base, accounts: { include: { prefixes: ['prod-'] } } }))).toMatchObject({ prefixes: ['prod-'] });
    expect(accountFilter(configSchema.parse({ ...base, accounts: { include: { names: ['a', 'b'] } } }))).toMatchObject({ names: ['a', 'b'] });
  });
});

describe('proxyRequestObserver', () => {
  it('observes each attempt by route and code class, and follows the proxy in proxy_up', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let answers = 0;
    const observe = proxyRequestObserver(metrics, () => answers++);
    observe('admin/has', 200, 0.01);
    observe('admin/has', 200, 0.02);
    observe('admin/sync', 503, 0.5);
    expect(await count(metrics, 'admin/has', '2xx')).toBe(2);
    expect(await count(metrics, 'admin/sync', '5xx')).toBe(1);
    expect((await metrics.proxyUp.get()).values[0]?.value).toBe(1);
    observe('admin/status', undefined, 2);
    expect(await count(metrics, 'admin/status', 'error')).toBe(1);
    expect((await metrics.proxyUp.get()).values[0]?.value).toBe(0);
    expect(answers).toBe(3);
  });

  it('leaves proxy_up to the proxy: the account service is another server', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const observe = proxyRequestObserver(metrics);
    observe('reference/show', 200, 0.01);
    observe('account/containers', undefined, 1);
    expect((await metrics.proxyUp.get()).values[0]?.value).toBe(1);
    expect(await count(metrics, 'account/containers', 'error')).toBe(1);
  });
});
