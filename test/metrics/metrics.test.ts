// What Prometheus sees on the very first scrape, before anything happened: every label set
// that an alert or a panel selects must already exist at 0, or rate()/increase() miss the first
// event and absent() fires.
import { describe, expect, it } from 'vitest';
import { CODE_CLASSES, createMetrics, PROXY_ROUTES } from '../../src/metrics/metrics.js';
import { parseExposition } from '../helpers/daemon-process.js';

describe('metrics at start-up', () => {
  it('has a zero proxy-request series for every route and code class, 5xx and error included', async () => {
    const samples = parseExposition(await createMetrics({ defaultMetrics: false }).registry.metrics());
    const counts = samples.filter((s) => s.name === 'oio_repaird_proxy_request_duration_seconds_count');
    for (const route of PROXY_ROUTES) {
      for (const codeClass of CODE_CLASSES) {
        expect(counts.find((s) => s.labels['route'] === route && s.labels['code_class'] === codeClass)?.value, `${route} ${codeClass}`).toBe(0);
      }
    }
    expect(counts).toHaveLength(PROXY_ROUTES.length * CODE_CLASSES.length);
  });
});
