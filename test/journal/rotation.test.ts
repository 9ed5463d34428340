// The journal rotates by size and keeps `keep` rotated files; readers see every kept file as one
// journal, in order. Appends made while a rotation runs wait for it: none is lost or reordered,
// and a rotation cut short by a crash (any rename done, the next not) loses nothing either.
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/journal.js';
import { readJournal, scanJournal } from '../../src/journal/read.js';
import { journalFiles } from '../../src/journal/rotation.js';
import type { JournalEntry } from '../../src/journal/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'repaird-rotation-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(n: number): JournalEntry {
  return { type: 'repair', ts: new Date(Date.UTC(2026, 11, 2, 0, 0, 0, n)).toISOString(), cid: `CID${n}`, reqId: `req-${n}`, outcome: 'succeeded', reason: `entry ${n} ${'x'.repeat(60)}` };
}
const lineBytes = Buffer.byteLength(`${JSON.stringify(entry(100))}\n`);

async function names(): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('journal rotation', () => {
  it('moves the file to .1 before a write would take it past maxBytes, and reads both as one journal', async () => {
    const path = join(dir, 'journal.jsonl');
    const journal = await Journal.open(path, { maxBytes: lineBytes * 3, keep: 5 });
    for (let n = 100; n < 105; n++) await journal.append(entry(n));
    await journal.close();
    expect(await names()).toEqual(['journal.jsonl', 'journal.jsonl.1']);
    expect((await readFile(join(dir, 'journal.jsonl.1'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(3);
    expect((await readJournal(path)).map((e) => e.reqId)).toEqual(['req-100', 'req-101', 'req-102', 'req-103', 'req-104']);
  });

  it('keeps `keep` rotated files and deletes the oldest beyond them', async () => {
    const path = join(dir, 'journal.jsonl');
    const journal = await Journal.open(path, { maxBytes: lineBytes, keep: 2 });
    for (let n = 100; n < 106; n++) await journal.append(entry(n));
    await journal.close();
    expect(await names()).toEqual(['journal.jsonl', 'journal.jsonl.1', 'journal.jsonl.2']);
    expect((await readJournal(path)).map((e) => e.reqId)).toEqual(['req-103', 'req-104', 'req-105']);
  });

  it('loses and reorders nothing when 200 appends from 10 writers race with rotations', async () => {
    const path = join(dir, 'journal.jsonl');
    const rotations: number[] = [];
    const journal = await Journal.open(path, { maxBytes: lineBytes * 7, keep: 1000, onRotate: (e) => e.ok && rotations.push(e.bytes) });
    // Ten writers, each appending its entries one after the other: while one batch is written or
    // the file rotated, the others' appends queue.
    const called: string[] = [];
    let next = 100;
    const writer = async (): Promise<void> => {
      for (let k = 0; k < 20; k++) {
        const e = entry(next++);
        called.push(e.reqId);
        await journal.append(e);
      }
    };
    await Promise.all(Array.from({ length: 10 }, writer));
    await journal.close();
    const scan = await scanJournal(path);
    expect(scan.malformed).toBe(0);
    expect(scan.entries.map((e) => e.reqId)).toEqual(called);
    expect(called).toHaveLength(200);
    expect(rotations.length).toBeGreaterThan(1);
    // A batch goes whole into one file, and at most 10 lines are queued at once.
    for (const file of await journalFiles(path)) expect((await stat(file)).size).toBeLessThanOrEqual(lineBytes * 10);
  });

  it('opens its size from the file on disk: a restart rotates at the same place', async () => {
    const path = join(dir, 'journal.jsonl');
    const first = await Journal.open(path, { maxBytes: lineBytes * 2, keep: 3 });
    await first.append(entry(100));
    await first.append(entry(101));
    await first.close();
    const second = await Journal.open(path, { maxBytes: lineBytes * 2, keep: 3 });
    await second.append(entry(102));
    await second.close();
    expect(await names()).toEqual(['journal.jsonl', 'journal.jsonl.1']);
    expect((await readJournal(path)).map((e) => e.reqId)).toEqual(['req-100', 'req-101', 'req-102']);
  });

  // What a crash can leave between two renames of rotateFiles (oldest first), keep = 3:
  it.each([
    ['after .2 was removed, before any shift', ['journal.jsonl.1', 'journal.jsonl'], []],
    ['after .1 → .2, before journal → .1', ['journal.jsonl.2', 'journal.jsonl'], [['journal.jsonl.1', 'journal.jsonl.2']]],
    ['after journal → .1, before the new file exists', ['journal.jsonl.2', 'journal.jsonl.1'], [['journal.jsonl.1', 'journal.jsonl.2'], ['journal.jsonl', 'journal.jsonl.1']]],
  ] as const)('loses nothing when a crash cut the rotation short %s', async (_when, expectedFiles, renames) => {
    const path = join(dir, 'journal.jsonl');
    await writeFile(join(dir, 'journal.jsonl.1'), `${JSON.stringify(entry(100))}\n${JSON.stringify(entry(101))}\n`);
    await writeFile(path, `${JSON.stringify(entry(102))}\n${JSON.stringify(entry(103))}\n`);
    for (const [from, to] of renames) await rename(join(dir, from), join(dir, to));
    expect(await names()).toEqual([...expectedFiles].sort());
    expect((await readJournal(path)).map((e) => e.reqId)).toEqual(['req-100', 'req-101', 'req-102', 'req-103']);
    // The restarted daemon appends and rotates on top of it.
    const journal = await Journal.open(path, { maxBytes: lineBytes * 2, keep: 10 });
    for (let n = 104; n < 107; n++) await journal.append(entry(n));
    await journal.close();
    expect((await readJournal(path)).map((e) => e.reqId)).toEqual(['req-100', 'req-101', 'req-102', 'req-103', 'req-104', 'req-105', 'req-106']);
  });

  it('keeps writing in the same file when a rotation fails, and says so', async () => {
    const path = join(dir, 'journal.jsonl');
    // A directory where .1 must go: the rename of the journal onto it fails.
    await writeFile(path, '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'journal.jsonl.1'));
    await writeFile(join(dir, 'journal.jsonl.1', 'x'), '');
    const failures: Error[] = [];
    const journal = await Journal.open(path, { maxBytes: lineBytes, keep: 1, onRotate: (e) => !e.ok && failures.push(e.error) });
    await journal.append(entry(100));
    await journal.append(entry(101));
    await journal.close();
    expect(failures.length).toBeGreaterThan(0);
    expect((await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as JournalEntry).reqId)).toEqual(['req-100', 'req-101']);
  });

  it('refuses a keep below 1 or a maxBytes below 1', async () => {
    await expect(Journal.open(join(dir, 'j'), { maxBytes: 100, keep: 0 })).rejects.toThrow(/keep/);
    await expect(Journal.open(join(dir, 'j'), { maxBytes: 0, keep: 1 })).rejects.toThrow(/maxBytes/);
  });
});
