import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts, FileSweepStateStore, STATE_FILE, type SweepCheckpoint } from '../../src/sweep/state.js';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

const checkpoint: SweepCheckpoint = {
  version: 1,
  sweepId: 'sweep-1',
  startedAt: '2026-01-01T00:00:00.000Z',
  position: { account: 'acct', container: 'ct-42' },
  finishedAhead: [{ account: 'acct', container: 'ct-45' }],
  counts: { ...emptyCounts(), done: 42, damagedContainers: 2, damagedReplicas: { ...emptyCounts().damagedReplicas, 'missing-keys': 2 } },
  savedAt: '2026-01-01T00:10:00.000Z',
};

describe('FileSweepStateStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'repaird-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves and loads a checkpoint, creating the state directory', async () => {
    const store = new FileSweepStateStore(join(dir, 'nested'), capturingLogger().log);
    await store.save(checkpoint);
    expect(await store.load()).toEqual(checkpoint);
    expect(await readdir(join(dir, 'nested'))).toEqual([STATE_FILE]);
  });

  it('replaces the previous checkpoint whole (no temp file left behind)', async () => {
    const store = new FileSweepStateStore(dir, capturingLogger().log);
    await store.save(checkpoint);
    await store.save({ ...checkpoint, position: { account: 'acct', container: 'ct-99' } });
    expect((await store.load())?.position).toEqual({ account: 'acct', container: 'ct-99' });
    expect(await readdir(dir)).toEqual([STATE_FILE]);
  });

  it('reads a checkpoint written before finishedAhead existed as "none finished ahead"', async () => {
    const { finishedAhead: _ahead, ...older } = checkpoint;
    await writeFile(join(dir, STATE_FILE), JSON.stringify(older));
    expect(await new FileSweepStateStore(dir, capturingLogger().log).load()).toEqual({ ...checkpoint, finishedAhead: [] });
  });

  it('treats a missing file as "no sweep to resume" without complaint', async () => {
    const { log, lines } = capturingLogger();
    expect(await new FileSweepStateStore(dir, log).load()).toBeNull();
    expect(lines.filter((l) => (l['level'] as number) >= 40)).toEqual([]);
  });

  it.each([
    ['truncated JSON', '{"version":1,"sweepId":"x"'],
    ['wrong shape', JSON.stringify({ ...checkpoint, counts: { done: -1 } })],
    ['unknown version', JSON.stringify({ ...checkpoint, version: 2 })],
  ])('logs and starts over on a corrupt file (%s)', async (_case, text) => {
    await writeFile(join(dir, STATE_FILE), text);
    const { log, lines } = capturingLogger();
    expect(await new FileSweepStateStore(dir, log).load()).toBeNull();
    expect(lines.some((l) => l['msg'] === 'sweep position corrupt, starting a new sweep')).toBe(true);
  });

  it('fills counts missing from an older file with zeros', async () => {
    const partial = { ...checkpoint, counts: { ...checkpoint.counts, repairs: { succeeded: 3 } } };
    await writeFile(join(dir, STATE_FILE), JSON.stringify(partial));
    const loaded = await new FileSweepStateStore(dir, capturingLogger().log).load();
    expect(loaded?.counts.repairs).toEqual({ ...emptyCounts().repairs, succeeded: 3 });
  });

  it('clear() removes the file, and is a no-op when there is none', async () => {
    const store = new FileSweepStateStore(dir, capturingLogger().log);
    await store.save(checkpoint);
    await store.clear();
    await store.clear();
    expect(await store.load()).toBeNull();
    await expect(readFile(join(dir, STATE_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
