// End to end: a namespace whose conscience has no account service (conscience/list?type=account
// answers 404 with oio status 453 on every call, fact 27) and no account.url configured. The
// daemon must say so once per sweep, naming the setting, not retry for half a minute, report
// not ready with that reason, and start each next sweep afresh (not "resumed").
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDaemon, tempDir, testConfig, waitUntil, writeYaml } from '../helpers/daemon-process.js';
import { startFakeHttp } from '../helpers/fake-http.js';

describe('no account service in the conscience', () => {
  it('fails each sweep at once naming account.url, /readyz says why, and the next sweep is not "resumed"', { timeout: 45_000 }, async () => {
    const proxy = await startFakeHttp({
      'GET /v3.0/OPENIO/conscience/list': (req, res) => {
        res.setHeader('content-type', 'application/json');
        if (req.query.get('type') === 'account') {
          res.writeHead(404);
          res.end(JSON.stringify({ status: 453, message: 'Service type [account] not managed' }));
          return;
        }
        res.writeHead(200);
        res.end('[]');
      },
    });
    onTestFinished(() => proxy.close());
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: proxy.url, namespace: 'OPENIO', stateDir: dir },
      { schedule: { cron: '*/2 * * * * *' } },
    ));
    const daemon = await startDaemon(configPath);

    const second = await daemon.waitForNth('sweep failed', 2, { timeoutMs: 30_000 });
    const failures = daemon.logs('sweep failed');
    for (const line of failures) {
      expect(line).toMatchObject({ level: 'error', error: { code: 'OIO_NO_ACCOUNT_SERVICE', permanent: true } });
      expect(String((line['error'] as { message: string }).message)).toContain('account.url');
    }
    // No retry loop: one conscience call per sweep, no "retrying" line.
    expect(daemon.logs('enumeration failed, retrying')).toEqual([]);
    expect(daemon.logs('enumeration failed, giving up on this sweep')).toEqual([]);
    const accountLookups = proxy.calls('GET /v3.0/OPENIO/conscience/list').filter((r) => r.query.get('type') === 'account');
    expect(accountLookups.length).toBeLessThanOrEqual(daemon.logs('sweep started').length + daemon.logs('sweep resumed').length);
    // Every sweep is a new one: nothing was done, so nothing is resumed.
    expect(daemon.logs('sweep resumed')).toEqual([]);
    expect(daemon.lines.slice(0, second.index).filter((l) => l.msg === 'sweep started').length).toBeGreaterThanOrEqual(2);

    const readyz = await waitUntil('/readyz 503', async () => {
      const r = await daemon.get('/readyz');
      return r.status === 503 ? r : undefined;
    });
    expect(readyz.body).toContain('account.url');
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
