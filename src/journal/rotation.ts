// Size-based rotation of the journal: `journal.jsonl` becomes `journal.jsonl.1`, `.1` becomes
// `.2`, … and the file past `keep` is dropped. Each step is one atomic rename, oldest first, then
// the directory is fsynced, so a crash at any point leaves every line already written in exactly
// one file (readers list them with journalFiles()); nothing a writer acknowledged is lost.
// The writer (journal.ts) decides when; readers (read.ts) read the files in order.
import { access, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** `path.N` for the N-th rotated file (1 = the most recent). */
export function rotatedPath(path: string, n: number): string {
  return `${path}.${n}`;
}

/**
 * Shifts the rotated files by one and moves `path` to `path.1`; those that would land past `keep`
 * are removed first. Only the files present are touched (a crash may have cut an earlier
 * rotation short, leaving a gap): oldest first, so every line stays in exactly one file.
 */
export async function rotateFiles(path: string, keep: number): Promise<void> {
  const numbers = (await rotatedNumbers(path)).sort((a, b) => b - a);
  for (const n of numbers.filter((n) => n >= keep)) await rm(rotatedPath(path, n), { force: true });
  for (const n of numbers.filter((n) => n < keep)) await renameIfExists(rotatedPath(path, n), rotatedPath(path, n + 1));
  await renameIfExists(path, rotatedPath(path, 1));
  await syncDirectory(dirname(path));
}

async function rotatedNumbers(path: string): Promise<number[]> {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => n.startsWith(prefix) && /^[1-9]\d*$/.test(n.slice(prefix.length))).map((n) => Number(n.slice(prefix.length)));
}

/**
 * The journal's files, oldest first: the rotated ones (highest number first), then `path`
 * itself when it exists. Numbers beyond any `keep` are listed too: nothing on disk is ignored.
 */
export async function journalFiles(path: string): Promise<string[]> {
  const rotated = (await rotatedNumbers(path)).sort((a, b) => b - a).map((n) => rotatedPath(path, n));
  let current = true;
  try {
    await access(path);
  } catch {
    current = false;
  }
  return current || rotated.length === 0 ? [...rotated, path] : rotated;
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; each rename is still atomic.
  } finally {
    await handle?.close();
  }
}
