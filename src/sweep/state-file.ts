// Small state files (the sweep position, the repair gate's history, the operator controls…): written so that a crash
// leaves either the old or the new version, never a torn one (temp file, fsync, rename, fsync of
// the directory), and read so that a missing or bad file means "no state", logged, never a crash.
// A corrupt file is renamed aside (`<name>.corrupt-<time>`), never deleted nor overwritten, so an
// operator can look at it; the temp files of writes cut short by a crash are removed at start.
import { systemClock } from '../clock.js';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

export async function writeFileAtomic(path: string, text: string, log: Logger, mode = 0o640): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w', mode);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  await syncDir(dir, log);
}

/** Makes a rename or removal durable: without it a crash may bring the old file back. */
export async function syncDir(dir: string, log: Logger): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
    log.debug({ err, dir }, 'state directory fsync failed');
  }
}

/** Why a state file that exists could not be used. */
export interface BadStateFile {
  readonly path: string;
  readonly problem: 'unreadable' | 'corrupt';
  readonly error: string;
  /** Where a corrupt file was moved to (absent when it could not be moved, or was unreadable). */
  readonly keptAs?: string;
}

/**
 * Reads and parses a state file. Missing → null, silently; unreadable or rejected by `parse` →
 * null with a warning naming `what` and the consequence (e.g. "sweep position … starting a new
 * sweep"), `onBad` told, and a corrupt file renamed aside.
 */
export async function readStateFile<T>(
  path: string,
  parse: (text: string) => T,
  log: Logger,
  what: string,
  otherwise: string,
  onBad: (bad: BadStateFile) => void = () => undefined,
): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    log.warn({ err, path }, `${what} unreadable, ${otherwise}`);
    onBad({ path, problem: 'unreadable', error: (err as Error).message });
    return null;
  }
  try {
    return parse(text);
  } catch (err) {
    const keptAs = `${path}.corrupt-${new Date(systemClock.now()).toISOString().replace(/[:.]/g, '-')}`;
    let moved = true;
    try {
      await rename(path, keptAs);
    } catch (renameErr) {
      moved = false;
      log.error({ err: renameErr, path }, `${what} corrupt and cannot be moved aside`);
    }
    log.warn({ err, path, ...(moved ? { keptAs } : {}) }, `${what} corrupt, ${otherwise}`);
    onBad({ path, problem: 'corrupt', error: errorMessage(err), ...(moved ? { keptAs } : {}) });
    return null;
  }
}

/** What loading a state file gave: nothing (no file), its value, or why the file that exists is unusable. */
export type StateFileLoad<T> =
  | { readonly kind: 'none' }
  | { readonly kind: 'restored'; readonly value: T }
  | { readonly kind: 'bad'; readonly bad: BadStateFile };

/** StateFileLoad with the restored value under the name its store gives it (`state`, `snapshot`). */
export type NamedStateFileLoad<K extends string, T> =
  | Exclude<StateFileLoad<T>, { readonly kind: 'restored' }>
  | ({ readonly kind: 'restored' } & { readonly [P in K]: T });

/** How a JSON state file is parsed, and what its warnings say (see readStateFile). */
export interface StateFileSpec<T> {
  readonly parse: (text: string) => T;
  /** The file for a person, e.g. "repair history". */
  readonly what: string;
  /** What the daemon does without it, e.g. "no repairs until the budget window has passed". */
  readonly otherwise: string;
}

/**
 * One JSON state file of the state directory: loaded through its parser (a file that exists but
 * cannot be used is `bad`, a corrupt one is moved aside), saved whole, atomically and durably.
 */
export class JsonStateFile<T> {
  readonly path: string;

  constructor(dir: string, name: string, private readonly spec: StateFileSpec<T>, private readonly log: Logger) {
    this.path = join(dir, name);
  }

  async load(): Promise<StateFileLoad<T>> {
    let bad: BadStateFile | undefined;
    const value = await readStateFile(this.path, this.spec.parse, this.log, this.spec.what, this.spec.otherwise, (b) => (bad = b));
    if (value !== null) return { kind: 'restored', value };
    return bad ? { kind: 'bad', bad } : { kind: 'none' };
  }

  /** Resolves once `value` is on disk (temp file, fsync, rename, fsync of the directory). */
  save(value: T): Promise<void> {
    return writeFileAtomic(this.path, `${JSON.stringify(value)}\n`, this.log);
  }
}

/**
 * Removes the temp files (`*.tmp`) of atomic writes cut short by a crash. Call it at start, with
 * the state directory's lock held (another daemon's write in flight would look the same).
 */
export async function removeStaleTempFiles(dir: string, log: Logger): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, dir }, 'cannot list the state directory for stale temp files');
    return [];
  }
  const stale = names.filter((n) => n.endsWith('.tmp'));
  const removed: string[] = [];
  for (const name of stale) {
    try {
      await rm(join(dir, name), { force: true });
      removed.push(name);
    } catch (err) {
      log.warn({ err, file: name }, 'cannot remove a stale temp file');
    }
  }
  if (removed.length > 0) log.info({ dir, files: removed }, 'removed temp files left by writes cut short');
  return removed;
}
