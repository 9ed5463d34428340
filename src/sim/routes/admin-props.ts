// Admin table routes: `admin/get_properties` (one replica with service_id, else a random one),
// `container/show` (the same read as headers), and `admin/set_properties` (writes through the
// master, diff-replicated). Errors a peer *answers* are hidden behind empty maps; a peer that
// cannot be reached is a 503 (real-behaviour 1, 5–7, 9–10).
import type { PeerId } from '../../oio/types.js';
import { openReplica, restoreOnElection } from '../disk.js';
import { joinOnAccess, writeLocally, writeThroughMaster } from '../election.js';
import { type Container, type Replica, STATS_KEYS, masterOf, reinitialisedAdmin } from '../model.js';
import type { ProxyQuirks } from '../versions.js';
import { type Reply, SimHttpError, badRequest, jsonReply } from '../wire.js';
import type { SimContext, SimRequest } from './context.js';
import { flag, locate, noSuchUser, requireMeta2, serviceIds, shuffled, shuffledWith } from './locate.js';

const CANTOPEN = 'sqlite3_open error: (errno=2 No such file or directory) (rc=14) SQLITE_CANTOPEN';
const EMPTY = { properties: {}, system: {} };

/** `stats.*` as the line's admin/get_properties adds them (none before 5.8.0, journal_mode on master only). */
function statsOf(quirks: ProxyQuirks): Record<string, string> {
  if (!quirks.statsKeys) return {};
  const stats: Record<string, string> = { ...STATS_KEYS };
  if (!quirks.statsJournalMode) delete stats['stats.journal_mode'];
  return stats;
}

/** properties (without the `user.` prefix) and system keys of one readable replica. */
function tableOf(r: Replica, stats: Readonly<Record<string, string>>): { properties: Record<string, string>; system: Record<string, string> } {
  const properties: Record<string, string> = {};
  const system: Record<string, string> = {};
  for (const [k, v] of r.admin) {
    if (k.startsWith('user.')) properties[k.slice(5)] = v;
    else system[k] = v;
  }
  Object.assign(system, stats);
  return { properties, system };
}

function noServiceReplied(code: number, message: string, peer: PeerId): SimHttpError {
  return new SimHttpError(503, 503, `No service replied (last error: (${code}) ${message})`, [peer]);
}

/** A non-local read starts an election: NONE peers join; with no base anywhere, every peer gets an empty one. */
function electOnRead(ctx: SimContext, found: Container): Container {
  const c = ctx.ns.mutable(found);
  for (const p of c.peers) joinOnAccess(c, p);
  for (const p of c.peers) restoreOnElection(ctx, c, p);
  const replicas = [...c.replicas.values()];
  if (replicas.every((r) => r.base === 'missing')) {
    for (const r of replicas) {
      r.base = 'ok';
      r.admin = reinitialisedAdmin(c.cid, c.peers);
    }
  }
  return c;
}

/**
 * Reads one replica as the proxy does without service_id: random peers, a missing base makes
 * it retry elsewhere (up to 4 tries). Returns the replica read, or throws the proxy's error.
 */
async function readAnyReplica(ctx: SimContext, req: SimRequest, c: Container): Promise<Replica> {
  let lastNetwork: { code: number; message: string; peer: PeerId } | undefined;
  const order = shuffled(c.peers);
  for (let attempt = 0; attempt < 4 && attempt < order.length + 1; attempt++) {
    const peer = order[attempt % order.length] as PeerId;
    const contact = await req.visit.contact(peer);
    if (!contact.reached) {
      lastNetwork = { code: contact.code, message: contact.message, peer };
      continue;
    }
    if (openReplica(ctx, c, peer) === 'corrupt-on-open') continue;
    const r = c.replicas.get(peer);
    if (r && r.base === 'ok') return r;
  }
  if (lastNetwork) throw noServiceReplied(lastNetwork.code, lastNetwork.message, lastNetwork.peer);
  throw new SimHttpError(404, 431, CANTOPEN, c.peers);
}

/**
 * The replica a service_id read targets; undefined = that peer answered an error (hidden). An
 * unreachable peer is a 503 on master, hidden behind the same empty maps on 7.x and older (fact 34).
 */
async function readNamedReplica(ctx: SimContext, req: SimRequest, c: Container | undefined, peer: PeerId): Promise<Replica | undefined> {
  const contact = await req.visit.contact(peer);
  if (!contact.reached && !ctx.quirks.unreachableReadIs503) return undefined;
  if (!contact.reached) throw noServiceReplied(contact.code, contact.message, peer);
  // A base met corrupt on this open answers 511, hidden behind empty maps (fact 16).
  if (c && openReplica(ctx, c, peer) === 'corrupt-on-open') return undefined;
  const r = c?.replicas.get(peer);
  return r && r.base === 'ok' ? r : undefined;
}

export async function getProperties(ctx: SimContext, req: SimRequest): Promise<Reply> {
  requireMeta2(req.query);
  // A 4.2.x proxy ignores service_id (fact 37); only master's reads local=1 (fact 35): elsewhere
  // every read goes through the election.
  const ids = ctx.quirks.ignoresServiceId ? undefined : serviceIds(req.query);
  if (ids && ids.length > 1 && ctx.quirks.readsLocalFlag) throw badRequest('Directory error: Only one service can be requested');
  const located = locate(ctx.ns, req.query);
  let c = located.kind === 'found' ? located.container : undefined;
  if (c) ctx.stats.propertiesRead(c.cid);
  if (c && !(ctx.quirks.readsLocalFlag && flag(req.query, 'local'))) c = electOnRead(ctx, c);
  const stats = statsOf(ctx.quirks);
  if (ids) {
    const r = await readNamedReplica(ctx, req, c, ids[0] as PeerId);
    return jsonReply(200, r ? tableOf(r, stats) : EMPTY);
  }
  if (located.kind === 'unknown') throw noSuchUser();
  if (located.kind === 'phantom') throw new SimHttpError(404, 431, CANTOPEN);
  return jsonReply(200, tableOf(await readAnyReplica(ctx, req, c as Container), stats));
}

/** `container/show`: the admin table as `x-oio-container-meta-*` headers, user properties as body. */
export async function containerShow(ctx: SimContext, req: SimRequest): Promise<Reply> {
  const ids = ctx.quirks.ignoresServiceId ? undefined : serviceIds(req.query);
  const located = locate(ctx.ns, req.query);
  if (located.kind === 'unknown' && !ids) throw noSuchUser();
  let c = located.kind === 'found' ? located.container : undefined;
  if (c) c = electOnRead(ctx, c);
  let r: Replica | undefined;
  if (ids) r = await readNamedReplica(ctx, req, c, ids[0] as PeerId);
  else if (located.kind === 'phantom') throw new SimHttpError(404, 431, CANTOPEN);
  else r = await readAnyReplica(ctx, req, c as Container);
  const headers: Record<string, string> = {};
  if (!r) return { status: 200, body: JSON.stringify({ properties: {} }), headers };
  const table = tableOf(r, {});
  for (const [k, v] of Object.entries(table.system)) headers[`x-oio-container-meta-${k.replace(/[.:]/g, '-')}`] = v;
  return { status: 200, body: JSON.stringify({ properties: table.properties }), headers };
}

/** Parses a set_properties body into key changes (`user.` added to properties; null deletes). */
export function parseWrite(body: string): Map<string, string | null> {
  if (body.trim() === '') throw badRequest('No properties found in JSON object');
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw badRequest('Invalid JSON');
  }
  if (Array.isArray(doc)) throw badRequest('Object argument expected, got array');
  if (doc === null || typeof doc !== 'object') throw badRequest('Invalid JSON');
  const changes = new Map<string, string | null>();
  const section = (value: unknown, prefix: string): void => {
    if (value === undefined || value === null) return;
    if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('Object argument expected, got array');
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== null && typeof v !== 'string') throw badRequest(`Invalid property '${k}': must be string or null`);
      changes.set(`${prefix}${k}`, v);
    }
  };
  const obj = doc as Record<string, unknown>;
  section(obj['system'], '');
  section(obj['properties'], 'user.');
  if (changes.size === 0) throw badRequest('No properties found in JSON object');
  return changes;
}

export async function setProperties(ctx: SimContext, req: SimRequest): Promise<Reply> {
  requireMeta2(req.query);
  const changes = parseWrite(req.body);
  const ids = ctx.quirks.ignoresServiceId ? undefined : serviceIds(req.query);
  const located = locate(ctx.ns, req.query);
  if (located.kind === 'unknown') throw noSuchUser();
  if (located.kind === 'phantom') throw new SimHttpError(404, 431, CANTOPEN);
  const c = ctx.ns.mutable(located.container);
  if (ctx.quirks.adminHeaderWritesLocally && flag(req.headers, 'x-oio-admin')) return writeOnFirstPeerReached(ctx, req, c, changes, ids);
  for (const p of c.peers) joinOnAccess(c, p);
  if (c.election.noMaster) throw new SimHttpError(500, 500, `Election failed for ${c.cid}.1.meta2`, c.peers);
  if (openReplica(ctx, c, masterOf(c) as PeerId) === 'corrupt-on-open') {
    throw new SimHttpError(503, 511, 'invalid database file: (26) SQLITE_NOTADB', c.peers);
  }
  const master = masterOf(c) as PeerId;
  const target = ids ? (ids[0] as PeerId) : master;
  const contact = await req.visit.contact(target);
  if (!contact.reached) throw noServiceReplied(contact.code, contact.message, target);
  ctx.stats.mutationReceived(c.cid);
  // real-behaviour 9: a slave's redirect is swallowed: 204, nothing written.
  if (target !== master) return written(ctx);
  const m = c.replicas.get(master);
  if (!m || m.base === 'missing') throw new SimHttpError(404, 431, CANTOPEN, [master]);
  if (m.base === 'corrupt') throw new SimHttpError(503, 511, 'invalid database file: (26) SQLITE_NOTADB', [master]);
  const reachable = (p: PeerId): boolean => !(ctx.ns.serviceFaults.get(p)?.down ?? false);
  if (writeThroughMaster(c, changes, reachable).length > 0) ctx.stats.writeApplied();
  return written(ctx);
}

/** A write's success: 204 on master, `200 {}` on 7.x and older (fact 36). */
function written(ctx: SimContext): Reply {
  return ctx.quirks.setPropertiesNoContent ? { status: 204 } : jsonReply(200, {});
}

/**
 * `set_properties` with `x-oio-admin: 1` on a master proxy (oio-real-behaviour 23, 28): the admin
 * flag makes the meta2 service run the write LOCALLY on the first peer the proxy reaches (the
 * named one with service_id, else a random one: the simulator's seeded draw). 204 whatever that
 * peer is, nothing replicated, no version bump, no election touched.
 */
async function writeOnFirstPeerReached(
  ctx: SimContext, req: SimRequest, c: Container, changes: ReadonlyMap<string, string | null>, ids: PeerId[] | undefined,
): Promise<Reply> {
  const order = ids ? [ids[0] as PeerId] : shuffledWith(c.peers, ctx.random);
  let last: { code: number; message: string; peer: PeerId } | undefined;
  for (const peer of order) {
    const contact = await req.visit.contact(peer);
    if (!contact.reached) {
      last = { code: contact.code, message: contact.message, peer };
      continue;
    }
    const opened = openReplica(ctx, c, peer);
    const r = c.replicas.get(peer);
    if (opened === 'corrupt-on-open') throw new SimHttpError(503, 511, 'invalid database file: (26) SQLITE_NOTADB', [peer]);
    if (!r || r.base === 'missing') throw new SimHttpError(404, 431, CANTOPEN, [peer]);
    if (r.base === 'corrupt') throw new SimHttpError(503, 511, 'invalid database file: (26) SQLITE_NOTADB', [peer]);
    if (writeLocally(r, changes).length > 0) ctx.stats.localWriteApplied(peer);
    return { status: 204 };
  }
  throw noServiceReplied(last?.code ?? 2, last?.message ?? 'no peer', last?.peer ?? '');
}
