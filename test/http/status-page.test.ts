// The status page (GET /) and the runbook page (GET /runbook): rendered from what the daemon
// knows, every journal value escaped, links to /metrics, /readyz and the runbook; and the HTTP
// server serves such pages as HTML. The real browser test is test/e2e/status-page.browser.test.ts.
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { OPERATIONS_MD, renderRunbook, slug } from '../../src/http/runbook-page.js';
import { escapeHtml, renderStatusPage, type StatusView } from '../../src/http/status-page.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { emptyCounts } from '../../src/sweep/state.js';
import { capturingLogger } from '../helpers/capture-log.js';

const NOW = new Date('2026-12-02T12:00:00.000Z');
const EVIL = '<script>alert("x")</script>&';

function view(over: Partial<StatusView> = {}): StatusView {
  return {
    version: '1.2.3', namespace: 'OPENIO', proxyUrl: 'http://127.0.0.1:6006', mode: 'auto', now: NOW,
    ready: { ready: true }, sweep: null, nextSweep: null, lastSweeps: [], recent: [], unrepairable: [],
    unrepairableCount: 0, budgetRemaining: 50, safety: null, runbookUrl: '/runbook',
    ...over,
  };
}

describe('renderStatusPage', () => {
  it('escapes everything that comes from the journal or the configuration', () => {
    const html = renderStatusPage(view({
      namespace: EVIL,
      recent: [{
        type: 'detection', ts: '2026-12-02T11:59:00.000Z', cid: 'C1', account: 'acct', container: EVIL, reqId: 'r', verdict: 'repairable', reason: EVIL,
        replicas: [{ peer: '127.0.0.1:6001', role: 'slave', health: 'missing-keys', missingKeys: [EVIL] }],
      }],
      unrepairable: [{ cid: 'C2', account: EVIL, container: 'c', reason: EVIL, ts: '2026-12-02T11:00:00.000Z' }],
      unrepairableCount: 1,
    }));
    expect(html).not.toContain('<script>');
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;');
  });

  it('shows the namespace, the running sweep with its rate, and links to /metrics, /readyz and the runbook', () => {
    const html = renderStatusPage(view({
      sweep: { startedAt: '2026-12-02T11:58:00.000Z', progress: { sweepId: 's-1', done: 400, total: 1000, rate: 12.5, damaged: 3, unrepairable: 1, probeErrors: 0, unknown: 0, repairs: 2, paused: false, etaSeconds: 48 } },
    }));
    expect(html).toMatch(/namespace <code>OPENIO<\/code>/);
    expect(html).toContain('400 of ~1000 containers, 12.5/s');
    expect(html).toContain('<progress max="100" value="40">');
    for (const href of ['/metrics', '/readyz', '/runbook']) expect(html).toContain(`href="${href}"`);
  });

  it('lists the last sweeps newest first, and says plainly when there is nothing to show', () => {
    const sweep = (n: number, result: 'completed' | 'failed') => ({
      sweepId: `s-${n}`, result, startedAt: `2026-12-02T0${n}:00:00.000Z`, endedAt: `2026-12-02T0${n}:10:00.000Z`, done: 10 * n, activeMs: 600_000,
      damagedContainers: 0, damagedReplicas: emptyCounts().damagedReplicas, unrepairable: 0, probeErrors: 0, repairs: { ...emptyCounts().repairs, succeeded: n }, unrepairableContainers: [],
    });
    const html = renderStatusPage(view({ lastSweeps: [sweep(1, 'completed'), sweep(2, 'failed')] }));
    expect(html.indexOf('2026-12-02T02:10')).toBeLessThan(html.indexOf('2026-12-02T01:10'));
    expect(html).toContain('succeeded 2');
    const empty = renderStatusPage(view());
    expect(empty).toContain('No sweep has ended yet.');
    expect(empty).toContain('Nothing detected or repaired recently.');
    expect(empty).toContain('None in the last completed sweep.');
    expect(empty).toContain('<h2>Circuit breakers and suspensions</h2>\n<p class="none">None.</p>');
  });

  it('shows the operator controls, the ones holding repairs back first and marked', () => {
    const html = renderStatusPage(view({ safety: ['repairs suspended until 2026-12-02T14:00:00.000Z by alice: <migration>', 'circuit breaker closed: 3 damaged of 900 judged in this sweep'] }));
    expect(html).toContain('<li class="bad">repairs suspended until 2026-12-02T14:00:00.000Z by alice: &lt;migration&gt;</li>');
    expect(html).toContain('<li>circuit breaker closed: 3 damaged of 900 judged in this sweep</li>');
  });

  it('needs nothing from outside: no script, no external stylesheet, image or font', () => {
    const html = renderStatusPage(view());
    expect(html).not.toMatch(/<script|src=|href="https?:|url\(|@import/i);
  });
});

describe('the runbook page', () => {
  it('has an anchor for every runbook section of docs/OPERATIONS.md (the status page and alerts link to them)', () => {
    const md = readFileSync(OPERATIONS_MD, 'utf8');
    const html = renderRunbook(md);
    const alerts = [...md.matchAll(/^### (OioRepaird\w+)$/gm)].map((m) => m[1] as string);
    expect(alerts.length).toBeGreaterThan(5);
    for (const a of alerts) expect(html).toContain(`id="${a.toLowerCase()}"`);
    expect(slug('OioRepairdDown')).toBe('oiorepairddown');
    expect(html).not.toContain('## Install');
  });
});

describe('HTML pages on the metrics listener', () => {
  let server: RunningHttpServer | undefined;
  afterEach(async () => server?.close());

  it('serves a page as text/html on GET, 405 on other methods, and still 404 elsewhere', async () => {
    server = await startHttpServer({
      listen: '127.0.0.1:0', registry: createMetrics({ defaultMetrics: false }).registry, readiness: () => ({ ready: true }), log: capturingLogger().log, maxConnections: 64,
      pages: { '/': () => '<!doctype html><title>t</title>' },
    });
    const base = `http://127.0.0.1:${server.address.port}`;
    const res = await request(`${base}/`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(await res.body.text()).toBe('<!doctype html><title>t</title>');
    const post = await request(`${base}/`, { method: 'POST' });
    await post.body.text();
    expect(post.statusCode).toBe(405);
    const other = await request(`${base}/index.html`);
    await other.body.text();
    expect(other.statusCode).toBe(404);
  });
});
