// End to end: a proxy that answers one byte every 2 s. Every byte resets HTTP idle timers, so
// only the total request deadline bounds a call: `check --timeout` must exit with an error in
// bounded time, and the daemon must start, say it is not ready, and stop on SIGTERM with exit 0
// within its grace period instead of hanging on a request that never ends.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli, startDaemon, tempDir, testConfig, waitUntil, writeYaml } from '../helpers/daemon-process.js';
import { startDripServer, type DripMode } from '../helpers/drip-server.js';

describe('a proxy that drips its answers', () => {
  it.each<DripMode>(['headers', 'body'])('check --timeout 1000 gives up with exit 2 and OIO_TIMEOUT (dripping %s)', { timeout: 90_000 }, async (mode) => {
    const drip = await startDripServer({ mode, intervalMs: 2000 });
    onTestFinished(() => drip.close());
    const started = Date.now();
    const result = await runCli(['check', 'acct/ct', '--proxy', drip.url, '--ns', 'OPENIO', '--timeout', '1000'], { timeoutMs: 60_000 });
    const elapsed = Date.now() - started;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('OIO_TIMEOUT');
    expect(result.stderr).toContain('no complete answer within 1000 ms');
    // One request (locate) times out and is not retried; the rest is process start-up (seconds
    // on a loaded machine): the bound only says "ends", the message says after 1000 ms.
    expect(elapsed).toBeLessThan(1000 + 45_000);
  });

  it('the daemon starts, is not ready, reports proxy_up 0 and OIO_TIMEOUT, and stops on SIGTERM with exit 0 within its grace period', { timeout: 120_000 }, async () => {
    const drip = await startDripServer({ mode: 'body', intervalMs: 2000 });
    onTestFinished(() => drip.close());
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: drip.url, namespace: 'OPENIO', stateDir: dir },
      { proxy: { requestTimeoutMs: 1000, connectTimeoutMs: 500 }, shutdown: { graceSeconds: 8 } },
    ));
    // Today's start-up pings the proxy before saying ready: it must not wait for the drip to end.
    const daemon = await startDaemon(configPath, { readyTimeoutMs: 60_000 });
    const retry = await daemon.waitForLog((l) => l.msg === 'enumeration failed, retrying', { timeoutMs: 60_000, what: 'an enumeration retry' });
    expect(JSON.stringify(retry['err'])).toContain('OIO_TIMEOUT');
    const readyz = await daemon.get('/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain('has not answered yet');
    const metrics = await daemon.scrape();
    expect(metrics.value('oio_repaird_proxy_up')).toBe(0);
    expect(metrics.value('oio_repaird_proxy_request_duration_seconds_count', { code_class: 'error' })).toBeGreaterThanOrEqual(2);
    expect(metrics.value('oio_repaird_proxy_request_duration_seconds_count', { code_class: '2xx' })).toBe(0);

    // Stop while a request is dripping: the in-flight call ends at its deadline (500 + 2 × 1000 ms), not never.
    await waitUntil('a dripping connection', () => drip.connections() > 0);
    const stopAt = Date.now();
    const exit = await daemon.stop({ timeoutMs: 20_000 });
    const stopMs = Date.now() - stopAt;
    expect(exit, daemon.tail()).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(8000);
    expect(daemon.lines.filter((l) => l.level === 'fatal' || l.msg.includes('grace period'))).toEqual([]);
  });
});
