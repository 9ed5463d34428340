// Small state files (the sweep position, the repair gate's history): written so that a crash
// leaves either the old or the new version, never a torn one (temp file, fsync, rename, fsync of
// the directory), and read so that a missing or bad file means "no state", logged, never a crash.
// A corrupt file is renamed aside (`<name>.corrupt-<time>`), never deleted nor overwritten, so an
// operator can look at it; the temp files of writes cut short by a crash are removed at start.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
    const keptAs = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    let moved = true;
    try {
      await rename(path, keptAs);
    } catch (renameErr) {
      moved = false;
      log.error({ err: renameErr, path }, `${what} corrupt and cannot be moved aside`);
    }
    log.warn({ err, path, ...(moved ? { keptAs } : {}) }, `${what} corrupt, ${otherwise}`);
    onBad({ path, problem: 'corrupt', error: err instanceof Error ? err.message : String(err), ...(moved ? { keptAs } : {}) });
    return null;
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
