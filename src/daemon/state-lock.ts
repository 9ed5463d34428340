// One daemon per state directory. Two daemons on one state directory would each spend the whole
// repair budget and overwrite each other's history; the second one must refuse to start.
//
// The lock is a listening socket in Linux's abstract UNIX namespace, named after the state
// directory's device and inode (so every spelling of the path, symlinks included, is one lock):
// - taking it is one atomic bind(): no check-then-create race, no stale-lock takeover to get wrong;
// - the kernel releases it when the process ends, however it ends (SIGKILL, OOM, a power cut):
//   there is never a stale lock to clean up, and a reused pid can never look like a live holder
//   (the weakness of a pid file: after a reboot its pid may belong to anything);
// - no native addon (Node has no flock()).
// Its limit: abstract names are per network namespace, so two daemons in different network
// namespaces (containers) sharing one directory are not detected. `lock-owner.json` next to the
// state says who holds the lock, for the refusal message only; it never decides anything.
import { systemClock } from '../clock.js';
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:net';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../sweep/state-file.js';

export const LOCK_OWNER_FILE = 'lock-owner.json';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export class StateDirLockedError extends Error {
  readonly code = 'REPAIRD_STATE_LOCKED';
  readonly dir: string;
  readonly owner: LockOwner | undefined;

  constructor(dir: string, owner: LockOwner | undefined) {
    const who = owner ? `pid ${owner.pid} on ${owner.host}, started ${owner.startedAt}` : 'owner unknown';
    super(`the state directory ${dir} is in use by another oio-repaird (${who}); one daemon per state directory: stop the other one or give this one its own state.dir`);
    this.name = 'StateDirLockedError';
    this.dir = dir;
    this.owner = owner;
  }
}

export interface StateLock {
  /** The abstract socket name (without the leading NUL), for logs. */
  readonly name: string;
  release(): Promise<void>;
}

/** The lock's abstract socket name for `dir` (which must exist). */
export async function lockName(dir: string): Promise<string> {
  const s = await stat(dir, { bigint: true });
  return `oio-repaird/state/${s.dev}:${s.ino}`;
}

/** Takes the lock of `dir` (created if missing) or throws StateDirLockedError. */
export async function lockStateDir(dir: string, log: Logger): Promise<StateLock> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = await lockName(dir);
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: `\0${name}`, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new StateDirLockedError(dir, await readOwner(dir));
    throw err;
  });
  // Held for the life of the process, but never what keeps it alive.
  server.unref();
  const ownerPath = join(dir, LOCK_OWNER_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date(systemClock.now()).toISOString() };
  try {
    await writeFileAtomic(ownerPath, `${JSON.stringify(owner)}\n`, log);
  } catch (err) {
    log.warn({ err, path: ownerPath }, 'cannot record the lock owner (the lock itself is held)');
  }
  log.debug({ dir, lock: name }, 'state directory locked');
  return { name, release: () => release(server, ownerPath) };
}

async function release(server: Server, ownerPath: string): Promise<void> {
  await rm(ownerPath, { force: true }).catch(() => undefined);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function readOwner(dir: string): Promise<LockOwner | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(dir, LOCK_OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    if (typeof raw.pid === 'number' && typeof raw.host === 'string' && typeof raw.startedAt === 'string') return raw as LockOwner;
  } catch {
    // Missing or torn: the refusal says "owner unknown".
  }
  return undefined;
}
