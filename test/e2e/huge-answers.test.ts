// End to end, under the systemd unit's own heap flags: a proxy whose admin answers are 4 to
// 7.9 MB (valid JSON, under the old 8 MiB cap for every route) must not kill the daemon. Each
// oversized answer is one failed request (OIO_ANSWER_TOO_LARGE, counted by route), the sweep
// ends, and the daemon stops cleanly. A configuration whose answers in flight cannot fit that
// heap is refused at start (78) instead of crashing later.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { REPO_ROOT, spawnDaemon, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { startFakeHttp, type RecordedRequest } from '../helpers/fake-http.js';

/** The node flags of the unit's ExecStart= (e.g. --max-old-space-size=96). */
function unitNodeFlags(): string[] {
  const unit = readFileSync(join(REPO_ROOT, 'deploy/systemd/oio-repaird.service'), 'utf8');
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error('no ExecStart= in the unit');
  const flags = line.split(/\s+/).filter((w) => w.startsWith('--max-') || w.startsWith('--heap'));
  expect(flags.some((f) => f.startsWith('--max-old-space-size='))).toBe(true);
  return flags;
}

/** A valid JSON admin table of about `bytes` bytes: many keys, so that parsing it costs heap too. */
function hugeAdminTable(bytes: number): Buffer {
  const entry = (i: number): string => `"user.k${String(i).padStart(7, '0')}":"${'v'.repeat(80)}"`;
  const count = Math.ceil(bytes / entry(0).length);
  return Buffer.from(`{"properties":{${Array.from({ length: count }, (_, i) => entry(i)).join(',')}},"system":{}}`);
}

const MB = 1_000_000;
const PEERS = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];

describe('answers of 4 to 7.9 MB under the unit heap flags', () => {
  it('are per-request errors counted by route; the daemon stays alive, ends its sweep and stops with 0', { timeout: 300_000 }, async () => {
    const flags = unitNodeFlags();
    const answers = [4 * MB, 5.5 * MB, 7 * MB, 7.9 * MB].map(hugeAdminTable);
    let served = 0;
    const huge = (_req: RecordedRequest, res: ServerResponse): void => {
      const body = answers[served % answers.length] as Buffer;
      res.on('error', () => undefined);
      // Half announce their length, half are chunked: both must be cut off.
      if (served++ % 2 === 0) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        res.end(body);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let at = 0; at < body.length; at += 256 * 1024) res.write(body.subarray(at, at + 256 * 1024));
        res.end();
      }
    };
    const containers = Array.from({ length: 60 }, (_, i) => [`ct-${i}`, 0, 0, 0, 1_700_000_000]);
    const proxy = await startFakeHttp({
      'GET /v3.0/OPENIO/conscience/list': huge,
      'GET /v1.0/account/containers': { json: { listing: containers, truncated: false } },
      // A modern proxy's answer (with cid): without it the daemon rightly refuses the proxy as 4.2.x.
      'GET /v3.0/OPENIO/reference/show': { json: { cid: 'A'.repeat(64), account: 'acct', name: 'ct', dir: [], srv: PEERS.map((host) => ({ seq: 1, type: 'meta2', host, args: '' })) } },
      'POST /v3.0/OPENIO/admin/get_properties': huge,
      'POST /v3.0/OPENIO/admin/has': huge,
      'POST /v3.0/OPENIO/admin/status': huge,
      'POST /v3.0/OPENIO/admin/debug': huge,
    });
    onTestFinished(() => proxy.close());
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: proxy.url, namespace: 'OPENIO', stateDir: dir },
      { account: { url: proxy.url }, accounts: { include: { names: ['acct'] } }, probe: { concurrency: 16, perServiceConcurrency: 16 } },
    ));
    const daemon = await startDaemon(configPath, { nodeArgs: flags, readyTimeoutMs: 60_000 });
    let peakRss = 0;
    let peakHeap = 0;
    const sample = async (): Promise<void> => {
      const m = await daemon.scrape();
      peakRss = Math.max(peakRss, m.value('process_resident_memory_bytes'));
      peakHeap = Math.max(peakHeap, m.value('nodejs_heap_size_used_bytes'));
    };
    const end = daemon.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('sweep ') && ['completed', 'incomplete'].includes(String(l['result'])), {
      timeoutMs: 240_000,
      what: 'the end of the sweep',
    });
    let ended = false;
    void end.finally(() => (ended = true)).catch(() => undefined);
    while (!ended) {
      await sample().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const last = await end;
    expect(last['done']).toBe(containers.length);
    await sample();
    const metrics = await daemon.scrape();
    const tooLarge = metrics.nonZeroByLabel('oio_repaird_proxy_answers_too_large_total', 'route');
    expect(Object.keys(tooLarge)).toEqual(expect.arrayContaining(['admin/get_properties']));
    expect(Object.values(tooLarge).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(containers.length);
    expect(daemon.exited).toBeUndefined();
    expect(daemon.lines.filter((l) => l.level === 'fatal')).toEqual([]);
    console.info(`huge answers: ${served} served, ${JSON.stringify(tooLarge)} refused; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, peak heap used ${(peakHeap / 2 ** 20).toFixed(0)} MiB (flags ${flags.join(' ')})`);
    expect(await daemon.stop({ timeoutMs: 30_000 })).toEqual({ code: 0, signal: null });
  });

  it('a proxy.connections whose answers in flight cannot fit the unit heap is refused at start with 78', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: 'http://127.0.0.1:9', namespace: 'OPENIO', stateDir: dir },
      { proxy: { connections: 256 } },
    ));
    const refused = spawnDaemon(['run', '--config', configPath], {}, unitNodeFlags());
    const exit = await refused.waitForExit({ timeoutMs: 50_000 });
    expect(exit.code).toBe(78);
    expect(refused.tail()).toContain('proxy.connections 256');
    expect(refused.tail()).toContain('--max-old-space-size');
  });
});
