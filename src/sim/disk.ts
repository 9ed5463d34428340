// Bases cached open (oio-real-behaviour 24): damage done to a base FILE behind the service's back
// (the `onDisk: true` faults) stays invisible until the service closes the base (a cache drop,
// the decache period, a restart) and the next access opens the file again. What that open does
// follows facts 25 and 29: a truncated file gets a fresh, nearly empty schema; a file that is not
// a database is renamed `*.meta2.corrupted`, that access answers 511, a master hands mastership
// over, and the next access running the election restores the replica from the master.
import type { PeerId } from '../oio/types.js';
import { autoRepairMissingSlaves, leave, scheduleResync, type Scheduler } from './election.js';
import { type Container, type DiskChange, type Replica, masterOf, roleOf, truncatedOpenAdmin } from './model.js';

export interface DiskContext {
  readonly scheduler: Scheduler;
  /** `server.periodic_decache.period`: an idle base is closed after this long; 0 = never (the default). */
  readonly decachePeriodMs: number;
  /** Delay of a restore from the master once started (observed: 1 to 2 s). */
  readonly restoreDelayMs: number;
}

/** What an access to a replica met when it opened the base. */
export type OpenResult = 'ok' | 'corrupt-on-open';

/** Records a change to the file; the served base is left as it is. */
export function changeOnDisk(r: Replica, change: DiskChange): void {
  r.disk = change;
  r.closed = false;
}

/** The admin table the file holds now (for a further on-disk edit of its rows). */
export function diskAdmin(r: Replica): Map<string, string> {
  return new Map(r.disk?.kind === 'admin' ? r.disk.admin : r.admin);
}

/** What `admin/has` sees: it looks at the file only (fact 29), not at the base held open. */
export function fileMissing(r: Replica): boolean {
  return r.disk ? r.disk.kind === 'removed' : r.base === 'missing';
}

/** Closes the base if the decache period elapsed; opens the file if closed. Call on every access to a replica. */
export function openReplica(ctx: DiskContext, c: Container, peer: PeerId, now = Date.now()): OpenResult {
  const r = c.replicas.get(peer);
  const change = r?.disk;
  if (!r || !change) return 'ok';
  const decached = ctx.decachePeriodMs > 0 && now - change.since >= ctx.decachePeriodMs;
  if (!r.closed && !decached) return 'ok';
  delete r.disk;
  r.closed = false;
  r.mtime = Math.floor(now / 1000);
  switch (change.kind) {
    case 'admin':
      r.base = 'ok';
      r.admin = new Map(change.admin);
      return 'ok';
    case 'removed':
      r.base = 'missing';
      r.admin = new Map();
      return 'ok';
    case 'truncated':
      r.base = 'ok';
      r.admin = truncatedOpenAdmin(c.cid);
      return 'ok';
    case 'header-overwritten':
      renameCorrupted(ctx, c, r);
      return 'corrupt-on-open';
  }
}

/** `*.meta2.corrupted`: the replica is missing from now on; a master leaves, and the new master restores it. */
function renameCorrupted(ctx: DiskContext, c: Container, r: Replica): void {
  r.base = 'missing';
  r.admin = new Map();
  r.restoreOnElection = true;
  if (roleOf(c, r.peer) === 'master' && c.election.members.length > 1) {
    leave(c, [r.peer]);
    // The old master re-joined as a slave without base: the new master's election restores it.
    r.restoreOnElection = false;
    autoRepairMissingSlaves(c, ctx.restoreDelayMs, ctx.scheduler);
  }
}

/** An access that runs the election (status, sync, a non-local read, a write) restores a renamed replica. */
export function restoreOnElection(ctx: DiskContext, c: Container, peer: PeerId): void {
  const r = c.replicas.get(peer);
  if (!r?.restoreOnElection || r.base !== 'missing') return;
  const master = masterOf(c);
  if (master === undefined || master === peer || c.replicas.get(master)?.base !== 'ok') return;
  r.restoreOnElection = false;
  scheduleResync(c, r, ctx.restoreDelayMs, ctx.scheduler);
}

/** Closes every base with a change on disk (of one service, or all): the next access opens the file. */
export function dropCaches(replicas: Iterable<Replica>, service?: PeerId): number {
  let closed = 0;
  for (const r of replicas) {
    if (!r.disk || (service !== undefined && r.peer !== service)) continue;
    r.closed = true;
    closed++;
  }
  return closed;
}
