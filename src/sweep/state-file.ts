// Small state files (the sweep position, the repair gate's history): written so that a crash
// leaves either the old or the new version, never a torn one (temp file, fsync, rename, fsync of
// the directory), and read so that a missing or bad file means "no state", logged, never a crash.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';

export async function writeFileAtomic(path: string, text: string, log: Logger): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w', 0o640);
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

/**
 * Reads and parses a state file. Missing → null, silently; unreadable or rejected by `parse` →
 * null with a warning naming `what` and the consequence (e.g. "sweep position … starting a new
 * sweep").
 */
export async function readStateFile<T>(path: string, parse: (text: string) => T, log: Logger, what: string, otherwise: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, path }, `${what} unreadable, ${otherwise}`);
    return null;
  }
  try {
    return parse(text);
  } catch (err) {
    log.warn({ err, path }, `${what} corrupt, ${otherwise}`);
    return null;
  }
}
