// The one clock (src/clock.ts): what its sleep does with an abort, and that nothing else in src/
// reads the time or sleeps on its own. No assertion on how long anything took.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kernelMonotonicMicros, systemClock } from '../src/clock.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
  return nested.flat();
}

describe('systemClock', () => {
  it('sleeps, then resolves', async () => {
    await expect(systemClock.sleep(1)).resolves.toBeUndefined();
    await expect(systemClock.sleep(0)).resolves.toBeUndefined();
    await expect(systemClock.sleep(-5)).resolves.toBeUndefined();
  });

  it('rejects with the signal’s own reason when aborted before or during the sleep', async () => {
    const before = new AbortController();
    before.abort(new Error('stopped before'));
    await expect(systemClock.sleep(60_000, before.signal)).rejects.toThrow('stopped before');
    const during = new AbortController();
    const sleeping = systemClock.sleep(60_000, during.signal);
    during.abort(new Error('stopped during'));
    await expect(sleeping).rejects.toThrow('stopped during');
  });

  it('an unref’d sleep still resolves', async () => {
    await expect(systemClock.sleep(1, undefined, { unref: true })).resolves.toBeUndefined();
  });

  it('reads the wall time in epoch milliseconds and a monotonic time that never goes back', () => {
    const wall = systemClock.now();
    expect(Math.abs(wall - Date.now())).toBeLessThan(60_000);
    const a = systemClock.monotonic();
    const b = systemClock.monotonic();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(kernelMonotonicMicros()).toBeGreaterThan(0n);
  });
});

describe('one clock in src/', () => {
  it('no module outside src/clock.ts (and the simulator’s own time) reads the time or sleeps by itself', async () => {
    const adHoc = /Date\.now\b|performance\.now\b|process\.hrtime\b|new Date\(\)|function sleep\b|new Promise\(\(resolve\) => setTimeout/;
    const offenders: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const path = relative(SRC, file);
      if (path === 'clock.ts' || path.startsWith('sim/')) continue;
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (!line.trimStart().startsWith('//') && adHoc.test(line)) offenders.push(`src/${path}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
