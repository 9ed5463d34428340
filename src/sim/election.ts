// Election actions on one container, as the meta2 services perform them: join on access,
// leave, resync a slave from the master (asynchronously, after a delay, so clients must
// verify), and write admin keys through the master replicating only the diff.
// Behaviour follows oio-real-behaviour.md 9–13; the routes turn results into wire answers.
import type { PeerId } from '../oio/types.js';
import { type Container, type Replica, logElection, masterOf, reinitialisedAdmin, roleOf } from './model.js';

/** Runs deferred work (a resync landing); the server owns the timers so close() can cancel them. */
export interface Scheduler {
  defer(ms: number, task: () => void): void;
}

/** An access (status, ping, sync, write, non-local read) makes a NONE peer re-join the election at the end. */
export function joinOnAccess(c: Container, peer: PeerId): boolean {
  if (!c.replicas.has(peer) || c.election.members.includes(peer)) return false;
  c.election.members.push(peer);
  c.election.ids.set(peer, c.election.nextId++);
  const replica = c.replicas.get(peer);
  const becameMaster = c.election.members.length === 1;
  if (replica) logElection(replica, 'NONE', 'GETPEERS_DONE', becameMaster ? 'MASTER' : 'SLAVE');
  return true;
}

/**
 * Peers leave the election. When the master left and others remain, the next member in
 * ZooKeeper order becomes master whatever its health, and the old master re-joins at the end
 * as slave; a leaving slave stays NONE until an access. Everybody leaving leaves everybody NONE.
 * Returns the new master, if it changed.
 */
export function leave(c: Container, peers: readonly PeerId[]): PeerId | undefined {
  const before = masterOf(c);
  const leaving = new Set(peers.filter((p) => c.election.members.includes(p)));
  if (leaving.size === 0) return undefined;
  for (const p of leaving) {
    const r = c.replicas.get(p);
    if (r) logElection(r, roleOf(c, p).toUpperCase(), 'LEAVE_REQ', 'NONE');
  }
  c.election.members = c.election.members.filter((p) => !leaving.has(p));
  for (const p of leaving) c.election.ids.delete(p);
  if (before !== undefined && leaving.has(before) && c.election.members.length > 0) {
    joinOnAccess(c, before);
    const after = masterOf(c);
    return after !== before ? after : undefined;
  }
  return undefined;
}

/** Copies the master's base onto one slave: what a resync does when it lands. */
export function copyFromMaster(c: Container, slave: Replica): void {
  slave.pipefrom = false;
  const master = masterOf(c);
  const source = master === undefined ? undefined : c.replicas.get(master);
  if (!source || source.peer === slave.peer || source.base === 'corrupt') {
    // The master's dump fails (corrupt) or there is nobody to copy from: the slave keeps its state.
    logElection(slave, 'SYNCING', 'SYNC_KO', 'SLAVE');
    return;
  }
  if (source.base === 'missing') {
    // real-behaviour 13: slaves end with an empty re-initialised base, no sys.m2.*.
    slave.base = 'ok';
    slave.admin = reinitialisedAdmin(c.cid, c.peers);
  } else {
    slave.base = 'ok';
    slave.admin = new Map(source.admin);
  }
  slave.mtime = Math.floor(Date.now() / 1000);
  logElection(slave, 'SYNCING', 'SYNC_OK', 'SLAVE');
}

/** A slave's resync: marks it in progress now, lands the copy after `delayMs`. */
export function scheduleResync(c: Container, slave: Replica, delayMs: number, scheduler: Scheduler): void {
  slave.pipefrom = true;
  logElection(slave, 'SLAVE', 'SYNC_REQ', 'SYNCING');
  scheduler.defer(delayMs, () => copyFromMaster(c, slave));
}

/** After a master change, slaves without a base are resynced by the election (real-behaviour 12). */
export function autoRepairMissingSlaves(c: Container, delayMs: number, scheduler: Scheduler): void {
  const master = masterOf(c);
  const source = master === undefined ? undefined : c.replicas.get(master);
  if (!source || source.base !== 'ok') return;
  for (const p of c.election.members) {
    const r = c.replicas.get(p);
    if (r && p !== master && r.base === 'missing') scheduleResync(c, r, delayMs, scheduler);
  }
}

function bumpVersion(value: string | undefined): string {
  const n = Number((value ?? '1:0').split(':')[0]);
  return `${Number.isFinite(n) ? n + 1 : 2}:0`;
}

/**
 * Writes keys on ONE replica only, as a master proxy does with `x-oio-admin: 1`
 * (oio-real-behaviour 23): no redirect, no replication, `version:main.admin` unchanged.
 * Returns the changed keys (empty: nothing written).
 */
export function writeLocally(r: Replica, changes: ReadonlyMap<string, string | null>): string[] {
  const changed: string[] = [];
  for (const [k, v] of changes) {
    const current = r.admin.get(k);
    if (v === null ? current === undefined : current === v) continue;
    if (v === null) r.admin.delete(k);
    else r.admin.set(k, v);
    changed.push(k);
  }
  if (changed.length > 0) r.mtime = Math.floor(Date.now() / 1000);
  return changed;
}

/**
 * Writes keys through the master: only keys whose value changes (null deletes), replicated as
 * a diff to slaves that have a base; a slave without base (or corrupt) receives a full copy.
 * Each effective write bumps `version:main.admin` everywhere (real-behaviour 10). Returns the
 * changed keys (empty: nothing written).
 */
export function writeThroughMaster(
  c: Container,
  changes: ReadonlyMap<string, string | null>,
  isReachable: (peer: PeerId) => boolean,
): string[] {
  const master = masterOf(c);
  const m = master === undefined ? undefined : c.replicas.get(master);
  if (!m) return [];
  const diff = new Map<string, string | null>();
  for (const [k, v] of changes) {
    const current = m.admin.get(k);
    if (v === null ? current !== undefined : current !== v) diff.set(k, v);
  }
  if (diff.size === 0) return [];
  const apply = (r: Replica): void => {
    for (const [k, v] of diff) {
      if (v === null) r.admin.delete(k);
      else r.admin.set(k, v);
    }
    r.mtime = Math.floor(Date.now() / 1000);
  };
  apply(m);
  const version = bumpVersion(m.admin.get('version:main.admin'));
  m.admin.set('version:main.admin', version);
  for (const peer of c.election.members) {
    const r = c.replicas.get(peer);
    if (!r || peer === master || !isReachable(peer)) continue;
    if (r.base === 'ok') {
      apply(r);
      r.admin.set('version:main.admin', version);
    } else {
      r.base = 'ok';
      r.admin = new Map(m.admin);
      r.mtime = m.mtime;
    }
  }
  return [...diff.keys()];
}
