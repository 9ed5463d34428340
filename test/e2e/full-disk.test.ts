// End to end: a full disk is visible and stops mutation. The state directory and the journal
// live on a 1 MiB tmpfs mounted by the test (root needed; the test skips loudly otherwise) and
// filled up while the daemon runs: no journal line, so no mutating request; /readyz 503 saying
// which file and why, oio_repaird_storage_writable{file="journal"} 0, an error line. Once space
// is back the daemon notices by itself (no restart), becomes ready and repairs.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { startDaemon, tempDir, testConfig, waitUntil, writeYaml } from '../helpers/daemon-process.js';
import { damagedContainers } from './sim-truth.js';

function tryMountTmpfs(dir: string, size: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Writes zeros into `path` until the filesystem is full. */
async function fill(path: string): Promise<void> {
  await writeFile(path, Buffer.alloc(4 << 20)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOSPC') throw err;
  });
}

describe('a full disk', () => {
  it('stops every repair, says why (readiness, metric, log), and recovers by itself when space is back', { timeout: 90_000 }, async (ctx) => {
    const base = await tempDir();
    const disk = join(base, 'disk');
    await mkdir(disk);
    const why = tryMountTmpfs(disk, '1m');
    if (why !== null) {
      console.warn(`SKIPPED: the full-disk test needs to mount a tmpfs (root): ${why}`);
      ctx.skip();
      return;
    }
    onTestFinished(() => {
      execFileSync('umount', ['-l', disk], { stdio: 'pipe' });
    });
    const sim = await startSimulator({ generate: { containers: 60, damagedShare: 0.1, seed: 41, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected()).length;
    expect(damaged).toBeGreaterThan(1);
    const stateDir = join(disk, 'state');
    const config = await writeYaml(join(base, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir },
      { schedule: { cron: '*/3 * * * * *', runAtStart: false } },
    ));
    const daemon = await startDaemon(config);
    expect((await daemon.get('/readyz')).status).toBe(200);

    // --- The disk fills up: the next sweep finds the damage but sends nothing -------------
    const filler = join(disk, 'filler');
    await fill(filler);
    const from = daemon.lines.length;
    const started = await daemon.waitForLog((l) => l.msg === 'sweep started', { from, what: 'a sweep on the full disk' });
    await daemon.waitForLog((l) => l.msg === 'sweep done' || l.msg === 'sweep interrupted' || l.msg.startsWith('sweep incomplete') || l.msg === 'sweep failed', { from: started.index, what: 'its end', timeoutMs: 30_000 });
    expect(sim.stats().mutationsByContainer).toEqual({});
    const failing = await daemon.waitForLog((l) => l.msg === 'cannot write the journal: no repairs until it can be written', { what: 'the journal error line' });
    expect(failing).toMatchObject({ level: 'error', file: 'journal', error: expect.stringContaining('ENOSPC') });
    const ready = await daemon.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/cannot write the journal .*journal\.jsonl \(.*ENOSPC.*\).*repairs stopped/);
    const m = await daemon.scrape();
    expect(m.value('oio_repaird_storage_writable', { file: 'journal' })).toBe(0);
    expect(m.value('oio_repaird_storage_write_failures_total', { file: 'journal' })).toBeGreaterThan(0);
    expect(m.value('oio_repaird_repairs_total', { outcome: 'succeeded' })).toBe(0);

    // --- Space is back: ready again without a restart, and the next sweep repairs ----------
    await rm(filler);
    await daemon.waitForLog((l) => l.msg === 'the journal can be written again', { from: failing.index, what: 'the recovery line', timeoutMs: 20_000 });
    await waitUntil('/readyz 200', async () => (await daemon.get('/readyz')).status === 200, { timeoutMs: 20_000 });
    // The sweeps that follow (every 3 s) repair every damaged container, once.
    await daemon.waitForMetrics('every damaged container repaired', (m) => m.value('oio_repaird_repairs_total', { outcome: 'succeeded' }) >= damaged, { timeoutMs: 30_000 });
    expect(Object.values(sim.stats().mutationsByContainer)).toEqual(new Array(damaged).fill(1));
    expect((await daemon.scrape()).value('oio_repaird_storage_writable', { file: 'journal' })).toBe(1);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
