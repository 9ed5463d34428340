// Reads the repair journal back (for `oio-repaird journal` and tests): streams its files (the
// rotated ones, oldest first, then the current one) line by line, keeps only the last `limit` entries that match the filter (memory stays bounded however
// large the file), and skips lines that are not entries, such as a last line torn by a crash.
// Also formats entries for humans, every value from the namespace escaped (escapeControl).
// Writing is journal.ts's job.
import { createReadStream } from 'node:fs';
import { escapeControl as esc } from '../escape.js';
import { describeStep, describeSteps } from '../repair/steps.js';
import type { PeerEvidence, ReplicaSnapshot } from '../repair/types.js';
import { JournalError } from './journal.js';
import { journalFiles } from './rotation.js';
import type { ReplicaEvidence } from './evidence.js';
import type { JournalEntry, JournalEntryType, JournalReplica } from './types.js';

export interface JournalFilter {
  /** Container id, compared without regard to case. */
  readonly cid?: string;
  readonly account?: string;
  readonly container?: string;
  readonly types?: readonly JournalEntryType[];
  /** Only entries at or after this time (a Date or an ISO-8601 string). */
  readonly since?: Date | string;
  /** Keep only the last `limit` matching entries (default: all). */
  readonly limit?: number;
}

export interface JournalScan {
  /** Matching entries in file order (the last `limit` of them). */
  readonly entries: JournalEntry[];
  /** Entries that matched the filter, before the limit. */
  readonly matched: number;
  /** Lines that were not journal entries (torn by a crash, or not JSON), skipped. */
  readonly malformed: number;
  /** 1-based numbers of the first few malformed lines (counted across the files, oldest first), for a warning. */
  readonly malformedLines: readonly number[];
}

const ENTRY_TYPES: ReadonlySet<string> = new Set<JournalEntryType>(['detection', 'evidence', 'step-start', 'step-end', 'verify', 'escalate', 'repair', 'control']);
const MALFORMED_LINES_KEPT = 10;

/** The last `limit` entries matching the filter, in file order. Malformed lines are skipped. */
export async function readJournal(path: string, filter: JournalFilter = {}): Promise<JournalEntry[]> {
  return (await scanJournal(path, filter)).entries;
}

/** readJournal plus counts of matched and malformed lines. */
export async function scanJournal(path: string, filter: JournalFilter = {}): Promise<JournalScan> {
  const matches = compileFilter(filter);
  const limit = filter.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new RangeError(`limit must be a non-negative number, got ${String(filter.limit)}`);
  const kept = new Tail<JournalEntry>(limit);
  let matched = 0;
  let malformed = 0;
  const malformedLines: number[] = [];
  let lineNumber = 0;

  const files = await listFiles(path);
  for (const file of files) {
    const stream = createReadStream(file, { encoding: 'utf8' });
    const lines = jsonLines(stream);
    try {
      for await (const line of lines) {
        lineNumber++;
        if (line.trim() === '') continue;
        const entry = parseEntry(line);
        if (entry === undefined) {
          malformed++;
          if (malformedLines.length < MALFORMED_LINES_KEPT) malformedLines.push(lineNumber);
          continue;
        }
        if (!matches(entry)) continue;
        matched++;
        kept.push(entry);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A file may vanish while we read (the daemon rotated meanwhile): the others are still read.
      if (code === 'ENOENT' && files.length > 1) continue;
      throw new JournalError(code === 'ENOENT' ? 'REPAIRD_JOURNAL_MISSING' : 'REPAIRD_JOURNAL_READ', path, `cannot read the journal ${file}: ${(err as Error).message}`, { cause: err });
    } finally {
      await lines.return(undefined);
      stream.destroy();
    }
  }
  return { entries: kept.toArray(), matched, malformed, malformedLines };
}

async function listFiles(path: string): Promise<string[]> {
  try {
    return await journalFiles(path);
  } catch (err) {
    throw new JournalError('REPAIRD_JOURNAL_READ', path, `cannot list the journal's files next to ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The file's lines, split on '\n' only. Not node:readline: from Node 24 on it also breaks lines
 * at U+2028/U+2029, which JSON.stringify leaves raw inside strings (a container name may hold
 * them), so an entry would be cut in two and skipped as malformed.
 */
async function* jsonLines(stream: AsyncIterable<string | Buffer>): AsyncGenerator<string, void, undefined> {
  let rest = '';
  for await (const chunk of stream) {
    const parts = (rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))).split('\n');
    rest = parts.pop() ?? '';
    yield* parts;
  }
  if (rest !== '') yield rest;
}

function parseEntry(line: string): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['ts'] !== 'string' || typeof v['cid'] !== 'string' || typeof v['type'] !== 'string' || !ENTRY_TYPES.has(v['type'])) {
    return undefined;
  }
  return value as JournalEntry;
}

function compileFilter(filter: JournalFilter): (entry: JournalEntry) => boolean {
  const cid = filter.cid?.toUpperCase();
  const types = filter.types ? new Set(filter.types) : undefined;
  const since = filter.since === undefined ? undefined : new Date(filter.since).getTime();
  if (since !== undefined && Number.isNaN(since)) throw new RangeError(`since is not a date: ${String(filter.since)}`);
  return (entry) =>
    (cid === undefined || entry.cid.toUpperCase() === cid) &&
    (filter.account === undefined || entry.account === filter.account) &&
    (filter.container === undefined || entry.container === filter.container) &&
    (types === undefined || types.has(entry.type)) &&
    (since === undefined || Date.parse(entry.ts) >= since);
}

/** A ring buffer keeping the last `capacity` items pushed. */
class Tail<T> {
  readonly #capacity: number;
  #items: T[] = [];
  #start = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(item: T): void {
    if (this.#capacity === 0) return;
    if (this.#items.length < this.#capacity) {
      this.#items.push(item);
      return;
    }
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.#items.length;
  }

  toArray(): T[] {
    return [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)];
  }
}

/**
 * One line per entry: time, short container id, account/container, type, then what happened
 * (verdict and per-peer health, the step and each peer's answer, the outcome).
 */
export function formatJournalEntries(entries: readonly JournalEntry[]): string {
  return entries.map(formatEntry).join('\n');
}

function formatEntry(entry: JournalEntry): string {
  const where = entry.account !== undefined || entry.container !== undefined ? `${esc(entry.account ?? '?')}/${esc(entry.container ?? '?')}` : '-';
  return `${esc(entry.ts)}  ${esc(entry.cid.slice(0, 12)).padEnd(12)}  ${where}  ${esc(entry.type).padEnd(10)}  ${details(entry)}`;
}

function details(entry: JournalEntry): string {
  switch (entry.type) {
    case 'detection':
      return `${esc(entry.verdict)}${codeText(entry)}: ${esc(entry.reason)} [${replicas(entry.replicas)}]`;
    case 'evidence':
      return `round ${entry.round} before ${esc(describeStep(entry.step, entry.source ?? undefined))}: ${entry.replicas.map(evidenceSummary).join('; ')}`;
    case 'step-start':
      return `round ${entry.round} ${esc(describeStep(entry.step))}${entry.attempt ? ` attempt ${entry.attempt}` : ''}${entry.dryRun ? ' (dry run)' : ''}${entry.why ? `: ${entry.why}` : ''} [before: ${replicas(entry.before)}]`;
    case 'step-end': {
      const answers = entry.answers?.length ? ` [${entry.answers.map((a) => `${esc(a.peer)} ${a.status} ${esc(a.message)}`).join(', ')}]` : '';
      const evidence = entry.evidence?.length ? ` [evidence: ${entry.evidence.map(evidenceText).join('; ')}]` : '';
      return `round ${entry.round} ${esc(entry.step.kind)} ${esc(entry.status)}: ${esc(entry.detail)}${answers}${evidence}`;
    }
    case 'escalate': {
      const from = entry.from.map((a) => `${esc(a.kind)} ${esc(a.peer)} (round ${a.round}: ${esc(a.why)})`).join(', ');
      const to = entry.to.length > 0 ? esc(describeSteps(entry.to)) : 'stop';
      return `round ${entry.round}${codeText(entry)} no effect: ${from} → ${to}: ${esc(entry.reason)}`;
    }
    case 'verify':
      return `round ${entry.round} ${esc(entry.verdict)}${codeText(entry)}: ${esc(entry.reason)} [after: ${replicas(entry.after)}]`;
    case 'repair':
      return `${esc(entry.outcome)}${codeText(entry)}: ${esc(entry.reason)}`;
    case 'control':
      return `${esc(entry.action)} by ${esc(entry.by)}${entry.until ? ` until ${esc(entry.until)}` : ''}: ${esc(entry.reason)}${entry.breaker ? ` [${esc(entry.breaker.detail)}]` : ''}`;
  }
}

/** "P slave present missing-keys, overwritten, table of 14 keys" (the full table: formatEvidence). */
function evidenceSummary(r: ReplicaEvidence): string {
  const table = r.table
    ? `table of ${Object.keys(r.table.system).length + Object.keys(r.table.properties).length} keys`
    : r.digest
      ? `table of ${r.digest.keys} keys, ${r.digest.bytes} bytes, sha256 ${r.digest.sha256.slice(0, 16)}…`
      : 'no table read';
  return `${esc(r.peer)} ${esc(r.role)} base ${r.base} ${esc(r.health)}${r.overwritten ? ' OVERWRITTEN' : ''}, ${table}`;
}

/**
 * `journal --evidence`: each evidence entry in full, one replica after the other, every key of
 * its admin table (or the digest and the keys in question) on its own line.
 */
export function formatEvidence(entries: readonly JournalEntry[]): string {
  const blocks: string[] = [];
  for (const entry of entries) {
    if (entry.type !== 'evidence') continue;
    const lines = [formatEntry(entry)];
    for (const r of entry.replicas) {
      lines.push(`  ${evidenceSummary(r)}`);
      const values: [string, string | null][] = r.table
        ? [...Object.entries(r.table.system).map(([k, v]): [string, string] => [k, v]), ...Object.entries(r.table.properties).map(([k, v]): [string, string] => [`(property) ${k}`, v])]
        : Object.entries(r.keys ?? {});
      for (const [k, v] of values.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) lines.push(`    ${esc(k)} = ${v === null ? '(absent)' : esc(v)}`);
    }
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n');
}

/** " (CODE)" for an entry that carries a reason code; nothing for lines written before codes. */
function codeText(entry: { readonly code?: string }): string {
  return entry.code !== undefined ? ` (${esc(entry.code)})` : '';
}

function snapshotText(s: ReplicaSnapshot | undefined): string {
  if (!s) return 'not re-read';
  const keys = Object.entries(s.keys).map(([k, v]) => (v === null ? `${esc(k)} absent` : `${esc(k)}=${esc(v)}`));
  return [s.health, s.role === 'unknown' ? undefined : s.role, ...keys].filter(Boolean).join(' ');
}

/** "P: missing-keys master sys.m2.ctime absent → ok master sys.m2.ctime=1795…". */
function evidenceText(e: PeerEvidence): string {
  return `${esc(e.peer)}: ${snapshotText(e.before)} → ${snapshotText(e.after)}`;
}

function replicas(list: readonly JournalReplica[]): string {
  return list
    .map((r) => {
      const role = r.role === 'unknown' ? '' : ` ${esc(r.role)}`;
      const keys = [
        ...(r.missingKeys?.length ? [`missing ${r.missingKeys.join(',')}`] : []),
        ...(r.malformedKeys?.length ? [`malformed ${r.malformedKeys.join(',')}`] : []),
      ];
      return `${esc(r.peer)} ${esc(r.health)}${role}${keys.length ? ` (${esc(keys.join('; '))})` : ''}`;
    })
    .join(', ');
}
