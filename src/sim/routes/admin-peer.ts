// The per-peer admin routes (has, status, debug, sync, leave, ping, drop_cache): one entry per
// peer in the `{"PEER":{"status":{…},"body":…}}` envelope, service_id order kept, otherwise
// shuffled. Each peer's answer follows its replica and election state (real-behaviour 2, 11–13).
import { createHash } from 'node:crypto';
import type { PeerId } from '../../oio/types.js';
import { baseName } from '../../oio/cid.js';
import { fileMissing, openReplica, restoreOnElection } from '../disk.js';
import { autoRepairMissingSlaves, joinOnAccess, leave, scheduleResync } from '../election.js';
import { type Container, masterOf, roleOf } from '../model.js';
import { type PeerOutcome, type Reply, cJson, peerEnvelope, peerOutcome } from '../wire.js';
import type { SimContext, SimRequest } from './context.js';
import { type Located, locate, noSuchUser, requireMeta2, serviceIds, shuffled } from './locate.js';

export const PER_PEER_ACTIONS = ['has', 'status', 'debug', 'sync', 'leave', 'ping', 'drop_cache'] as const;
export type PerPeerAction = (typeof PER_PEER_ACTIONS)[number];

const NOT_FOUND = 'Container not found : (2) No such file or directory';
const CORRUPT = 'invalid database file: (26) SQLITE_NOTADB';

/** Where the base file of a replica lives on its service (has body). */
export function basePath(ctx: SimContext, peer: PeerId, cid: string): string {
  const volume = Math.max(1, ctx.ns.services.indexOf(peer) + 1);
  return `/var/lib/oio/sds/${ctx.ns.name}/meta2-${volume}/${cid.slice(0, 3)}/${baseName(cid)}.meta2`;
}

function zkNode(ns: string, cid: string): string {
  const key = createHash('sha256').update(`${baseName(cid)}@meta2`).digest('hex').toUpperCase();
  return `/hc/ns/${ns}/el/meta2/${key.slice(0, 2)}/${key.slice(2, 4)}/${key}`;
}

function electionFailed(c: Container): PeerOutcome {
  return peerOutcome(500, `Election failed for ${baseName(c.cid)}.meta2`);
}

/** `admin/debug` body of one peer (oio-api-sources §7.1, real-behaviour 11 and 21). */
function debugBody(ctx: SimContext, c: Container, peer: PeerId): string {
  const r = c.replicas.get(peer);
  const role = roleOf(c, peer);
  const base = { name: baseName(c.cid), type: 'meta2', zk: zkNode(ctx.ns.name, c.cid), zk_server: '127.0.0.1:2181' };
  const counters = { refcount: 1, pipefrom: r?.pipefrom ? 1 : 0, getvers: 0, seconds_since_last_access: 0, seconds_since_last_status: 0 };
  if (role === 'none') {
    return cJson({ local: { id: null, url: peer, state: 'NONE' }, master: { id: null, url: null }, base, '#': counters, peers: null, log: r?.log ?? [] });
  }
  const master = masterOf(c);
  const id = c.election.ids.get(peer) ?? null;
  const state = c.election.noMaster ? 'FAILED' : r?.pipefrom ? 'SYNCING' : role.toUpperCase();
  const masterView = role === 'master'
    ? { id, url: null }
    : { id: master === undefined || c.election.noMaster ? null : c.election.ids.get(master) ?? null, url: c.election.noMaster ? null : master ?? null };
  return cJson({
    local: { id, url: peer, state },
    master: masterView,
    base,
    '#': counters,
    peers: c.peers.filter((p) => p !== peer),
    log: r?.log ?? [],
  });
}

/** One reachable peer's answer for a container it may or may not host. */
function answer(ctx: SimContext, action: PerPeerAction, c: Container, peer: PeerId, leaving: PeerId[]): PeerOutcome {
  const r = c.replicas.get(peer);
  if (!r) {
    // A service that is not a peer of this base: it has no file and no election for it.
    if (action === 'leave' || action === 'drop_cache') return peerOutcome(200, 'OK');
    return action === 'debug' ? peerOutcome(200, 'OK', 'null') : peerOutcome(431, NOT_FOUND);
  }
  switch (action) {
    case 'has':
      // `has` looks at the file, not at the base held open (fact 29).
      if (fileMissing(r)) return peerOutcome(431, NOT_FOUND);
      if (r.base === 'corrupt') return peerOutcome(511, CORRUPT);
      // `PATH:MTIME` on master (2025.41.0+), `PATH` before (fact 36).
      return peerOutcome(200, 'OK', JSON.stringify(ctx.quirks.hasMtime ? `${basePath(ctx, peer, c.cid)}:${r.mtime}` : basePath(ctx, peer, c.cid)));
    case 'debug':
      return peerOutcome(200, 'OK', debugBody(ctx, c, peer));
    case 'drop_cache':
      return peerOutcome(200, 'OK');
    case 'leave':
      ctx.stats.leaveReceived(peer);
      leaving.push(peer);
      return peerOutcome(200, 'OK');
    case 'ping':
      joinOnAccess(c, peer);
      return peerOutcome(200, 'OK');
    case 'status': {
      if (openReplica(ctx, c, peer) === 'corrupt-on-open') return peerOutcome(511, CORRUPT);
      joinOnAccess(c, peer);
      restoreOnElection(ctx, c, peer);
      if (c.election.noMaster) return electionFailed(c);
      const role = roleOf(c, peer);
      return role === 'master' ? peerOutcome(200, 'OK') : peerOutcome(303, masterOf(c) ?? '');
    }
    case 'sync': {
      ctx.stats.syncReceived(peer);
      if (openReplica(ctx, c, peer) === 'corrupt-on-open') return peerOutcome(511, CORRUPT);
      joinOnAccess(c, peer);
      if (c.election.noMaster) return electionFailed(c);
      if (roleOf(c, peer) === 'master') return peerOutcome(301, 'not SLAVE');
      scheduleResync(c, r, ctx.syncDelayMs, ctx.scheduler);
      return peerOutcome(200, 'OK');
    }
  }
}

/** A base no peer has (lowercase CID, or an unknown container named by service_id). */
function answerPhantom(action: PerPeerAction): PeerOutcome {
  if (action === 'leave' || action === 'drop_cache') return peerOutcome(200, 'OK');
  if (action === 'debug') return peerOutcome(200, 'OK', 'null');
  return peerOutcome(431, NOT_FOUND);
}

const MUTATING: ReadonlySet<PerPeerAction> = new Set(['status', 'sync', 'leave', 'ping']);

export async function perPeerRoute(ctx: SimContext, req: SimRequest, action: PerPeerAction): Promise<Reply> {
  requireMeta2(req.query);
  const located: Located = locate(ctx.ns, req.query);
  // A 4.2.x proxy honours service_id on leave only: the others go to every peer (fact 37).
  const ids = ctx.quirks.ignoresServiceId && action !== 'leave' ? undefined : serviceIds(req.query);
  if (located.kind === 'unknown' && ids === undefined) throw noSuchUser();
  let container = located.kind === 'found' ? located.container : undefined;
  if (container && MUTATING.has(action)) container = ctx.ns.mutable(container);
  if (container && (action === 'sync' || action === 'leave')) ctx.stats.mutationReceived(container.cid);
  const peers = ids ?? shuffled(located.kind === 'unknown' ? [] : located.container.peers);
  const entries: Array<[PeerId, PeerOutcome]> = [];
  const leaving: PeerId[] = [];
  const masterBefore = container ? masterOf(container) : undefined;
  for (const peer of peers) {
    const contact = await req.visit.contact(peer);
    if (!contact.reached) {
      entries.push([peer, peerOutcome(contact.code, contact.message)]);
      continue;
    }
    entries.push([peer, container ? answer(ctx, action, container, peer, leaving) : answerPhantom(action)]);
  }
  if (container && leaving.length > 0) {
    leave(container, leaving);
    if (masterOf(container) !== masterBefore) autoRepairMissingSlaves(container, ctx.syncDelayMs, ctx.scheduler);
  }
  return { status: 200, body: peerEnvelope(entries), headers: { 'content-type': 'application/json' } };
}
