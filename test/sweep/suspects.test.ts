// The suspects list: who becomes a suspect, who leaves, in which order they are re-checked, its
// bound, and its state file (atomic, survives a restart, a corrupt one is moved aside).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { cidFromName } from '../../src/oio/cid.js';
import type { Verdict } from '../../src/probe/types.js';
import type { ContainerOutcome } from '../../src/sweep/process-container.js';
import type { BadStateFile } from '../../src/sweep/state-file.js';
import { SUSPECTS_FILE, Suspects } from '../../src/sweep/suspects.js';

const log = createLogger({ journald: false, level: 'silent' });
let dir: string;
let clock = 0;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'repaird-suspects-'));
  clock = Date.UTC(2026, 11, 2);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function seen(name: string, verdict: Verdict): ContainerOutcome {
  const report = { ref: { cid: cidFromName('acct', name), account: 'acct', container: name }, peers: [], replicas: [], verdict, reason: verdict, requests: 0 };
  clock += 1000;
  return { report, final: report };
}

function list(opts: Partial<{ maxEntries: number; clearAfterHealthy: number; onBadFile: (bad: BadStateFile) => void }> = {}): Suspects {
  return new Suspects({ stateDir: dir, log, maxEntries: opts.maxEntries ?? 100, clearAfterHealthy: opts.clearAfterHealthy ?? 2, now: () => clock, ...(opts.onBadFile ? { onBadFile: opts.onBadFile } : {}) });
}

const names = (s: Suspects): string[] => s.next(1000).map((r) => r.container ?? '?');
const reasons = (s: Suspects): Record<string, string> => Object.fromEntries(s.list().map((x) => [x.container, x.reason]));

describe('Suspects', () => {
  it.each<[Verdict, string | undefined]>([
    ['healthy', undefined], ['repairable', 'damaged'], ['master-damaged', 'damaged'], ['unrepairable', 'damaged'], ['unknown', 'unreachable'],
  ])('a container first seen %s becomes a suspect: %s', (verdict, reason) => {
    const s = list();
    s.observe(seen('c', verdict));
    expect(reasons(s)['c']).toBe(reason);
  });

  it('keeps a suspect until clearAfterHealthy healthy checks in a row, and calls it flapping when it goes wrong again', () => {
    const s = list({ clearAfterHealthy: 2 });
    s.observe(seen('c', 'repairable'));
    s.observe(seen('c', 'healthy'));
    expect(reasons(s)).toEqual({ c: 'damaged' });
    s.observe(seen('c', 'repairable'));
    expect(reasons(s)).toEqual({ c: 'flapping' });
    s.observe(seen('c', 'healthy'));
    s.observe(seen('c', 'healthy'));
    expect(s.size).toBe(0);
  });

  it('re-checks damaged first, then flapping, then unreachable, the longest unchecked first', () => {
    const s = list({ clearAfterHealthy: 5 });
    s.observe(seen('down', 'unknown'));
    s.observe(seen('flap', 'repairable'));
    s.observe(seen('flap', 'healthy'));
    s.observe(seen('flap', 'repairable'));
    s.observe(seen('old', 'repairable'));
    s.observe(seen('new', 'master-damaged'));
    expect(names(s)).toEqual(['old', 'new', 'flap', 'down']);
    expect(s.next(2).map((r) => r.container)).toEqual(['old', 'new']);
  });

  it('keeps at most maxEntries, dropping the least recently seen', () => {
    const s = list({ maxEntries: 3 });
    for (const n of ['a', 'b', 'c']) s.observe(seen(n, 'repairable'));
    s.observe(seen('a', 'repairable')); // seen again: now the most recent
    s.observe(seen('d', 'repairable'));
    expect(names(s).sort()).toEqual(['a', 'c', 'd']);
  });

  it('survives a restart through its state file, written atomically', async () => {
    const s = list();
    s.observe(seen('a', 'repairable'));
    s.observe(seen('b', 'unknown'));
    await s.save();
    expect((await readdir(dir)).sort()).toEqual([SUSPECTS_FILE]);
    const again = list();
    await again.load();
    expect(again.list()).toEqual(s.list());
  });

  it('writes nothing when nothing changed', async () => {
    const s = list();
    await s.save();
    expect(await readdir(dir)).toEqual([]);
  });

  it('moves a corrupt file aside, says so, and starts with no suspects', async () => {
    await writeFile(join(dir, SUSPECTS_FILE), '{"version":1,"suspects":[{"account":"a"');
    const bad: BadStateFile[] = [];
    const s = list({ onBadFile: (b) => bad.push(b) });
    await s.load();
    expect(s.size).toBe(0);
    expect(bad).toEqual([expect.objectContaining({ problem: 'corrupt', keptAs: expect.stringContaining(`${SUSPECTS_FILE}.corrupt-`) })]);
    expect((await readdir(dir)).some((n) => n.startsWith(`${SUSPECTS_FILE}.corrupt-`))).toBe(true);
  });

  it('refuses a file whose entries are not containers (a CID that is not one)', async () => {
    await writeFile(join(dir, SUSPECTS_FILE), JSON.stringify({ version: 1, suspects: [{ account: 'a', container: 'b', cid: 'x', reason: 'damaged', since: '', lastSeen: '', healthyChecks: 0 }] }));
    const bad: BadStateFile[] = [];
    const s = list({ onBadFile: (b) => bad.push(b) });
    await s.load();
    expect(s.size).toBe(0);
    expect(bad[0]?.problem).toBe('corrupt');
  });

  it('loads at most maxEntries from a file written with a larger bound', async () => {
    const big = list({ maxEntries: 10 });
    for (let i = 0; i < 10; i++) big.observe(seen(`c${i}`, 'repairable'));
    await big.save();
    const small = list({ maxEntries: 4 });
    await small.load();
    expect(names(small).sort()).toEqual(['c6', 'c7', 'c8', 'c9']);
    expect(JSON.parse(await readFile(join(dir, SUSPECTS_FILE), 'utf8')).suspects).toHaveLength(10);
  });
});
