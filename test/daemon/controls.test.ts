// The daemon's operator controls and the disk: a save of controls.json that fails counts in
// storage health as the other state files do (oio_repaird_storage_writable{file="controls"} 0,
// /readyz's reason, one error line), is tried again on its own, and clears once a save succeeds.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { sendControl } from '../../src/controls/channel.js';
import type { ControlState } from '../../src/controls/types.js';
import { ControlService } from '../../src/daemon/controls.js';
import { StorageHealth } from '../../src/daemon/storage-health.js';
import type { JournalEntry } from '../../src/journal/types.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { capturingLogger } from '../helpers/capture-log.js';
import { tempDir, waitUntil } from '../helpers/daemon-process.js';
import { damaged } from '../sweep/reports.js';

const erofs = (): Error => Object.assign(new Error('EROFS: read-only file system, open controls.json.tmp'), { code: 'EROFS' });

async function setup() {
  const dir = await tempDir();
  const metrics = createMetrics({ defaultMetrics: false });
  const { log, lines } = capturingLogger();
  const storage = new StorageHealth({
    metrics,
    log,
    paths: { journal: join(dir, 'j'), repair_history: join(dir, 'g'), sweep_position: join(dir, 's'), controls: join(dir, 'controls.json'), suspects: join(dir, 'suspects.json') },
    probeIntervalMs: 60_000,
  });
  const config = configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'OPENIO' }, state: { dir }, breaker: { maxDamagedContainers: 1 } });
  const journal: JournalEntry[] = [];
  const disk = { failing: true, saved: [] as ControlState[] };
  const controls = new ControlService({
    stateDir: dir,
    log,
    metrics,
    journal: { append: async (e) => void journal.push(e) },
    config: () => config,
    tickMs: 5,
    retrySaveMs: 10,
    storage: { ok: () => storage.ok('controls'), failed: (err) => storage.failed('controls', err) },
    save: async (state) => {
      if (disk.failing) throw erofs();
      disk.saved.push(state);
    },
  });
  await controls.start();
  onTestFinished(async () => {
    await controls.close();
    storage.close();
  });
  const writable = async (): Promise<number | undefined> => (await metrics.storageWritable.get()).values.find((v) => v.labels['file'] === 'controls')?.value;
  return { controls, storage, disk, lines, writable };
}

describe('ControlService and storage health', () => {
  it('counts a failed save of an opened breaker in storage health, keeps the breaker in memory, and clears once a retry saves it', async () => {
    const { controls, storage, disk, lines, writable } = await setup();
    expect(await writable()).toBe(1);
    controls.observe(damaged({ cid: 'A'.repeat(64) }));
    controls.observe(damaged({ cid: 'B'.repeat(64) }));
    expect(controls.current().breaker).toMatchObject({ reason: 'damaged_count' });
    await waitUntil('the failed save to be reported', () => storage.problem() !== undefined);
    expect(storage.problem()).toMatch(/^cannot write the operator controls .*controls\.json \(EROFS: .*\): the suspension and the circuit breaker hold in memory only/);
    expect(await writable()).toBe(0);
    expect(lines.filter((l) => l['msg'] === 'cannot write the operator controls: the suspension and the circuit breaker hold in memory only, a restart would lose them')).toHaveLength(1);
    expect(controls.block()).toMatchObject({ code: 'BREAKER_OPEN' });

    disk.failing = false;
    await waitUntil('a retry to save the breaker', () => storage.problem() === undefined);
    expect(await writable()).toBe(1);
    expect(disk.saved.at(-1)?.breaker).toMatchObject({ reason: 'damaged_count' });
  });

  it('refuses a command whose state cannot be saved, and says so in storage health', async () => {
    const { controls, storage, writable } = await setup();
    const reply = await sendControl(controls.socketPath, { op: 'suspend', forMs: 60_000, reason: 'freeze', by: 'tester' });
    expect(reply).toMatchObject({ ok: false, error: expect.stringContaining('EROFS') });
    expect(controls.current().suspension).toBeNull();
    expect(await writable()).toBe(0);
    expect(storage.problem()).toMatch(/operator controls/);
  });
});
