// JsonStateFile: the one store of the state directory's small JSON files (controls.json,
// repair-gate.json): saved whole and durably, loaded as none, restored or bad.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlStore } from '../../src/controls/store.js';
import { silentLogger } from '../../src/log.js';
import { JsonStateFile } from '../../src/sweep/state-file.js';

interface Counter { readonly version: 1; readonly n: number }
const parse = (text: string): Counter => {
  const value = JSON.parse(text) as Counter;
  if (value.version !== 1 || typeof value.n !== 'number') throw new Error('not a counter');
  return value;
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oio-state-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JsonStateFile', () => {
  const open = (): JsonStateFile<Counter> => new JsonStateFile(dir, 'counter.json', { parse, what: 'counter', otherwise: 'counting afresh' }, silentLogger());

  it('loads none when the file does not exist', async () => {
    expect(await open().load()).toEqual({ kind: 'none' });
  });

  it('restores what it saved, written as one JSON line, with no temp file left', async () => {
    await open().save({ version: 1, n: 7 });
    expect(await open().load()).toEqual({ kind: 'restored', value: { version: 1, n: 7 } });
    expect(await readFile(join(dir, 'counter.json'), 'utf8')).toBe('{"version":1,"n":7}\n');
    expect(await readdir(dir)).toEqual(['counter.json']);
  });

  it('loads a corrupt file as bad and moves it aside', async () => {
    await writeFile(join(dir, 'counter.json'), '{"version":2}');
    const loaded = await open().load();
    expect(loaded).toMatchObject({ kind: 'bad', bad: { path: join(dir, 'counter.json'), problem: 'corrupt', error: 'not a counter' } });
    expect((await readdir(dir)).filter((n) => n.startsWith('counter.json.corrupt-'))).toHaveLength(1);
  });
});

describe('ControlStore over JsonStateFile', () => {
  it('keeps its own names: the restored controls are `state`', async () => {
    const store = new ControlStore(dir, silentLogger());
    expect(store.path).toBe(join(dir, 'controls.json'));
    const state = { version: 1 as const, suspension: { since: 1, until: 2, reason: 'maintenance', by: 'op' }, breaker: null };
    await store.save(state);
    expect(await new ControlStore(dir, silentLogger()).load()).toEqual({ kind: 'restored', state });
  });
});
