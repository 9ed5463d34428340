import { appendFile, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Journal, JournalError } from '../../src/journal/journal.js';
import { readJournal, scanJournal } from '../../src/journal/read.js';
import type { JournalEntry } from '../../src/journal/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'repaird-journal-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

function repairEntry(n: number, extra: Partial<{ cid: string; reason: string; ts: string }> = {}): JournalEntry {
  return {
    type: 'repair',
    ts: extra.ts ?? new Date(Date.UTC(2026, 10, 25, 0, 0, n)).toISOString(),
    cid: extra.cid ?? `CID${String(n).padStart(4, '0')}`,
    account: 'acct',
    container: `c${n}`,
    reqId: `req-${n}`,
    outcome: 'succeeded',
    reason: extra.reason ?? `entry ${n}`,
  };
}

async function fileLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
}

/** The FileHandle class is not exported; reach its prototype through an open handle. */
async function fileHandlePrototype(): Promise<{ write: (...args: unknown[]) => Promise<{ bytesWritten: number }>; datasync: () => Promise<void> }> {
  const fh = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(fh);
  await fh.close();
  return proto;
}

describe('Journal', () => {
  it('creates its directory (0700) and file (0600) on open', async () => {
    const path = join(dir, 'state', 'nested', 'journal.jsonl');
    const journal = await Journal.open(path);
    await journal.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state', 'nested'))).mode & 0o777).toBe(0o700);
  });

  it('has the line in the file as soon as append resolves, before close', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = await Journal.open(path);
    await journal.append(repairEntry(1));
    expect(await fileLines(path)).toEqual([JSON.stringify(repairEntry(1))]);
    await journal.close();
  });

  it('resolves append only after the data is synced to disk', async () => {
    const proto = await fileHandlePrototype();
    let releaseSync!: () => void;
    const syncGate = new Promise<void>((resolve) => (releaseSync = resolve));
    const original = proto.datasync;
    const datasync = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: unknown) {
      await syncGate;
      return original.call(this);
    });
    const journal = await Journal.open(join(dir, 'j.jsonl'));
    let resolved = false;
    const appended = journal.append(repairEntry(1)).then(() => (resolved = true));
    await vi.waitFor(() => expect(datasync).toHaveBeenCalled());
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    releaseSync();
    await appended;
    expect(resolved).toBe(true);
    await journal.close();
  });

  it('keeps entries in append order', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = await Journal.open(path);
    for (let n = 0; n < 5; n++) await journal.append(repairEntry(n));
    await journal.close();
    expect((await readJournal(path)).map((e) => e.cid)).toEqual(['CID0000', 'CID0001', 'CID0002', 'CID0003', 'CID0004']);
  });

  it('never interleaves lines of concurrent appends, and keeps their call order', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = await Journal.open(path);
    const big = 'x'.repeat(20_000);
    await Promise.all(Array.from({ length: 100 }, (_, n) => journal.append(repairEntry(n, { reason: `${n}:${big}` }))));
    await journal.close();
    const lines = await fileLines(path);
    expect(lines).toHaveLength(100);
    lines.forEach((line, n) => expect(JSON.parse(line)).toEqual(repairEntry(n, { reason: `${n}:${big}` })));
  });

  it('appends to an existing journal instead of truncating it', async () => {
    const path = join(dir, 'j.jsonl');
    const first = await Journal.open(path);
    await first.append(repairEntry(1));
    await first.close();
    const second = await Journal.open(path);
    await second.append(repairEntry(2));
    await second.close();
    expect((await readJournal(path)).map((e) => e.cid)).toEqual(['CID0001', 'CID0002']);
  });

  it('starts on a fresh line after a torn last line left by a crash', async () => {
    const path = join(dir, 'j.jsonl');
    await writeFile(path, `${JSON.stringify(repairEntry(1))}\n{"type":"repair","ts":"2026-`);
    const journal = await Journal.open(path);
    await journal.append(repairEntry(2));
    await journal.close();
    const scan = await scanJournal(path);
    expect(scan.entries.map((e) => e.cid)).toEqual(['CID0001', 'CID0002']);
    expect(scan.malformed).toBe(1);
    expect(scan.malformedLines).toEqual([2]);
  });

  it('rejects the entries of a failed write and keeps later entries readable', async () => {
    const proto = await fileHandlePrototype();
    const original = proto.write;
    const write = vi.spyOn(proto, 'write').mockImplementationOnce(async function (this: unknown, ...args: unknown[]) {
      // A partial write, then the disk fails: the file now ends mid-line.
      const [buffer, offset] = args as [Buffer, number];
      await original.call(this, buffer, offset, 10);
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    const path = join(dir, 'j.jsonl');
    const journal = await Journal.open(path);
    const failed = await journal.append(repairEntry(1)).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(JournalError);
    expect((failed as JournalError).code).toBe('REPAIRD_JOURNAL_WRITE');
    expect(write).toHaveBeenCalled();
    await journal.append(repairEntry(2));
    await journal.close();
    const scan = await scanJournal(path);
    expect(scan.entries.map((e) => e.cid)).toEqual(['CID0002']);
    expect(scan.malformed).toBe(1);
  });

  it('writes queued entries before closing and refuses appends after close', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = await Journal.open(path);
    const pending = [journal.append(repairEntry(1)), journal.append(repairEntry(2))];
    await journal.close();
    await Promise.all(pending);
    expect(await fileLines(path)).toHaveLength(2);
    await expect(journal.append(repairEntry(3))).rejects.toMatchObject({ code: 'REPAIRD_JOURNAL_CLOSED' });
  });

  it('fails to open with a typed error when the directory cannot be created', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, '');
    await expect(Journal.open(join(blocker, 'j.jsonl'))).rejects.toMatchObject({ code: 'REPAIRD_JOURNAL_OPEN' });
  });
});

describe('readJournal', () => {
  async function journalWith(entries: readonly JournalEntry[]): Promise<string> {
    const path = join(dir, 'r.jsonl');
    await writeFile(path, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    return path;
  }

  it('keeps an entry whole when a name holds U+2028/U+2029 (Node 24\'s readline breaks lines there)', async () => {
    const path = await journalWith([{ ...repairEntry(1), container: 'a\u2028b\u2029c\rd' }, repairEntry(2)]);
    const scan = await scanJournal(path);
    expect(scan.malformed).toBe(0);
    expect(scan.entries.map((e) => e.container)).toEqual(['a\u2028b\u2029c\rd', 'c2']);
  });

  it('filters by container id regardless of case', async () => {
    const path = await journalWith([repairEntry(1, { cid: 'ABCDEF' }), repairEntry(2), repairEntry(3, { cid: 'ABCDEF' })]);
    expect((await readJournal(path, { cid: 'abcdef' })).map((e) => e.reqId)).toEqual(['req-1', 'req-3']);
  });

  it('filters by account, container, type and time', async () => {
    const other: JournalEntry = { ...repairEntry(2), account: 'other' };
    const detection: JournalEntry = {
      type: 'detection', ts: '2026-11-25T00:00:05.000Z', cid: 'D', account: 'acct', container: 'c5', reqId: 'req-5',
      verdict: 'repairable', reason: 'one slave lacks keys', replicas: [],
    };
    const path = await journalWith([repairEntry(1), other, repairEntry(3), detection]);
    expect((await readJournal(path, { account: 'other' })).map((e) => e.reqId)).toEqual(['req-2']);
    expect((await readJournal(path, { account: 'acct', container: 'c3' })).map((e) => e.reqId)).toEqual(['req-3']);
    expect((await readJournal(path, { types: ['detection'] })).map((e) => e.reqId)).toEqual(['req-5']);
    expect((await readJournal(path, { since: '2026-11-25T00:00:03.000Z' })).map((e) => e.reqId)).toEqual(['req-3', 'req-5']);
    expect((await readJournal(path, { since: new Date('2026-11-25T00:00:04Z') })).map((e) => e.reqId)).toEqual(['req-5']);
  });

  it('keeps the last `limit` matching entries, in file order', async () => {
    const path = await journalWith(Array.from({ length: 50 }, (_, n) => repairEntry(n)));
    const scan = await scanJournal(path, { limit: 3 });
    expect(scan.entries.map((e) => e.reqId)).toEqual(['req-47', 'req-48', 'req-49']);
    expect(scan.matched).toBe(50);
    expect(await readJournal(path, { limit: 0 })).toEqual([]);
    expect(await readJournal(path, { limit: 100 })).toHaveLength(50);
  });

  it('skips and counts lines that are not entries', async () => {
    const path = join(dir, 'r.jsonl');
    await writeFile(path, [JSON.stringify(repairEntry(1)), 'not json', '{"type":"unknown","ts":"x","cid":"y"}', '', '[1,2]', JSON.stringify(repairEntry(2))].join('\n'));
    const scan = await scanJournal(path);
    expect(scan.entries.map((e) => e.reqId)).toEqual(['req-1', 'req-2']);
    expect(scan.malformed).toBe(3);
    expect(scan.malformedLines).toEqual([2, 3, 5]);
  });

  it('reads a torn last line as malformed and keeps everything before it', async () => {
    const path = await journalWith([repairEntry(1), repairEntry(2)]);
    await appendFile(path, JSON.stringify(repairEntry(3)).slice(0, 30));
    const scan = await scanJournal(path);
    expect(scan.entries.map((e) => e.reqId)).toEqual(['req-1', 'req-2']);
    expect(scan.malformed).toBe(1);
  });

  it('reports a missing journal with its own code', async () => {
    await expect(readJournal(join(dir, 'absent.jsonl'))).rejects.toMatchObject({ code: 'REPAIRD_JOURNAL_MISSING' });
  });

  it('refuses a `since` that is not a date', async () => {
    const path = await journalWith([repairEntry(1)]);
    await expect(readJournal(path, { since: 'yesterday-ish' })).rejects.toThrow(RangeError);
  });
});
