// A write that fails (disk full, read-only) is visible: readiness reason, metric, one log line;
// and the daemon notices by itself when writes work again.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageHealth } from '../../src/daemon/storage-health.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { capturingLogger } from '../helpers/capture-log.js';
import { tempDir, waitUntil } from '../helpers/daemon-process.js';

const enospc = () => Object.assign(new Error('cannot write the journal /x: ENOSPC: no space left on device, write'), { code: 'REPAIRD_JOURNAL_WRITE', cause: Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }) });

async function gauge(metrics: ReturnType<typeof createMetrics>, file: string): Promise<number | undefined> {
  const m = await metrics.storageWritable.get();
  return m.values.find((v) => v.labels['file'] === file)?.value;
}

describe('StorageHealth', () => {
  it('reports a failing journal in readiness, metric and one log line, and clears on the next good write', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { log, lines } = capturingLogger();
    const dir = await tempDir();
    const health = new StorageHealth({ metrics, log, paths: { journal: join(dir, 'j.jsonl'), repair_history: join(dir, 'g'), sweep_position: join(dir, 's'), controls: join(dir, 'c'), suspects: join(dir, 'x') }, probeIntervalMs: 60_000 });
    let fail = true;
    const journal = health.journal({ append: async () => { if (fail) throw enospc(); } });
    expect(health.problem()).toBeUndefined();
    for (let i = 0; i < 3; i++) await expect(journal.append({} as never)).rejects.toThrow(/ENOSPC/);
    expect(health.problem()).toMatch(/^cannot write the journal .*j\.jsonl \(.*ENOSPC.*\): repairs stopped$/);
    expect(await gauge(metrics, 'journal')).toBe(0);
    expect((await metrics.storageWriteFailures.get()).values.find((v) => v.labels['file'] === 'journal')?.value).toBe(3);
    expect(lines.filter((l) => l['msg'] === 'cannot write the journal: no repairs until it can be written')).toHaveLength(1);
    fail = false;
    await journal.append({} as never);
    expect(health.problem()).toBeUndefined();
    expect(await gauge(metrics, 'journal')).toBe(1);
    expect(lines.some((l) => l['msg'] === 'the journal can be written again')).toBe(true);
    health.close();
  });

  it('probes the directory of a failing file and recovers without any real write', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { log } = capturingLogger();
    const base = await tempDir();
    const dir = join(base, 'not-yet');
    const health = new StorageHealth({ metrics, log, paths: { journal: join(dir, 'j.jsonl'), repair_history: join(dir, 'g'), sweep_position: join(dir, 's'), controls: join(dir, 'c'), suspects: join(dir, 'x') }, probeIntervalMs: 10 });
    health.failed('sweep_position', new Error('EROFS: read-only file system'));
    await new Promise((r) => setTimeout(r, 50));
    expect(health.problem()).toMatch(/sweep position/);
    await mkdir(dir);
    await waitUntil('the probe to succeed', () => health.problem() === undefined, { timeoutMs: 5000 });
    expect(await gauge(metrics, 'sweep_position')).toBe(1);
    health.close();
  });

  it('a suspects list that cannot be saved costs only what a restart would lose: repairs go on, until a save works', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { log, lines } = capturingLogger();
    const dir = await tempDir();
    const health = new StorageHealth({ metrics, log, paths: { journal: join(dir, 'j.jsonl'), repair_history: join(dir, 'g'), sweep_position: join(dir, 's'), controls: join(dir, 'c'), suspects: join(dir, 'suspects.json') }, probeIntervalMs: 10 });
    health.failed('suspects', new Error('EROFS: read-only file system'));
    health.failed('suspects', new Error('EROFS: read-only file system'));
    expect(health.problem()).toMatch(/^cannot write the suspects list .*suspects\.json \(.*EROFS.*\): the suspects are re-checked from memory only, a restart would lose the list$/);
    expect(await gauge(metrics, 'suspects')).toBe(0);
    expect(lines.filter((l) => l['msg'] === 'cannot write the suspects list: the suspects are re-checked from memory only, a restart would lose the list')).toHaveLength(1);
    // With the controls failing too, both consequences are said; repairs still go on.
    health.failed('controls', new Error('EROFS: read-only file system'));
    expect(health.problem()).toMatch(/: the suspects are re-checked from memory only, a restart would lose the list; the suspension and the circuit breaker hold in memory only/);
    expect(health.problem()).not.toMatch(/repairs stopped/);
    // The lane saves again on its own: the directory probe must not clear it.
    await new Promise((r) => setTimeout(r, 50));
    expect(await gauge(metrics, 'suspects')).toBe(0);
    health.ok('suspects');
    health.ok('controls');
    expect(health.problem()).toBeUndefined();
    expect(await gauge(metrics, 'suspects')).toBe(1);
    health.close();
  });
});
