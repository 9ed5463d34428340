// The piece of the daemon's sweep assembly that holds logic: the request observer feeding the
// proxy metrics (configuration → options is test/config/runtime.test.ts).
import { describe, expect, it } from 'vitest';
import { proxyRequestObserver } from '../../src/daemon/sweeper.js';
import { createMetrics } from '../../src/metrics/metrics.js';

async function count(metrics: ReturnType<typeof createMetrics>, route: string, codeClass: string): Promise<number> {
  const { values } = await metrics.proxyRequestDuration.get();
  return values.find((v) => v.metricName === 'oio_repaird_proxy_request_duration_seconds_count' && v.labels.route === route && v.labels.code_class === codeClass)?.value ?? 0;
}

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
