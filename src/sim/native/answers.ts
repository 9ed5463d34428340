// What a simulated meta2 answers on its native port, per ../shared/oio-native-protocol.md:
// DB_PGET (LOCAL or not), DB_HAS, DB_STATUS and REQ_PING with the real statuses and texts, and
// the traps: the BNAME is used verbatim (a lower-case CID or a missing `.1` is 431), a flag is
// true for any value with a non-zero byte (`LOCAL=0` too), NS's value is not checked, an unknown
// request is 404. Side effects as observed: opening a corrupt file renames it (511, then 431),
// and DB_STATUS restores a renamed replica from the master.
import type { PeerId } from '../../oio/types.js';
import { joinOnAccess, scheduleResync } from '../election.js';
import { type Container, type Replica, masterOf, reinitialisedAdmin, roleOf } from '../model.js';
import { basePath } from '../routes/admin-peer.js';
import type { SimContext } from '../routes/context.js';
import { paramValue, type NativeMessage } from '../../native/der.js';

/** One reply: status S, message MSG, optional body. */
export interface SimNativeReply {
  readonly status: number;
  readonly message: string;
  readonly body?: string;
}

const HAS_NOT_FOUND = 'Container not found : (2) No such file or directory';
const CANTOPEN = 'sqlite3_open error: (errno=2 No such file or directory) (rc=14) SQLITE_CANTOPEN';
const NOTADB = 'invalid database file: (26) SQLITE_NOTADB';
const BNAME_RE = /^([0-9A-F]{64})\.1$/;

/** Replicas whose corrupt file an open renamed `*.meta2.corrupted`: the next DB_STATUS restores them. */
const renamed = new WeakSet<Replica>();

/** metautils_message_extract_flag: present and any byte non-zero. */
export function flagIsSet(m: NativeMessage, name: string): boolean {
  const v = paramValue(m, name);
  return v !== undefined && v.some((b) => b !== 0);
}

function reply(status: number, message: string, body?: string): SimNativeReply {
  return body === undefined ? { status, message } : { status, message, body };
}

/** Every admin row as DB_PGET serves it: keys in strcmp order, values as strings. */
function adminJson(r: Replica): string {
  const keys = [...r.admin.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, r.admin.get(k) as string])));
}

/** The container and replica a BNAME names on this service, if the file could exist. */
function lookup(ctx: SimContext, peer: PeerId, bname: string): { c: Container; r: Replica } | undefined {
  const m = BNAME_RE.exec(bname);
  if (!m) return undefined;
  const found = ctx.ns.findByCid(m[1] as string);
  const r = found?.replicas.get(peer);
  return found && r ? { c: found, r } : undefined;
}

/** A read opens the base: a corrupt file is renamed and answered 511; a missing one 431. */
function open(ctx: SimContext, found: { c: Container; r: Replica }, peer: PeerId): { c: Container; r: Replica } | SimNativeReply {
  if (found.r.base === 'missing') return reply(431, CANTOPEN);
  if (found.r.base === 'corrupt') {
    const c = ctx.ns.mutable(found.c);
    const r = c.replicas.get(peer) as Replica;
    r.base = 'missing';
    r.admin = new Map();
    renamed.add(r);
    return reply(511, NOTADB);
  }
  return found;
}

function pget(ctx: SimContext, peer: PeerId, m: NativeMessage, found: { c: Container; r: Replica } | undefined): SimNativeReply {
  if (!flagIsSet(m, 'LOCAL') && found) {
    // Without LOCAL the read goes through the election (real-behaviour 30): peers join, and
    // when no peer has the base every peer gets an empty one.
    const c = ctx.ns.mutable(found.c);
    for (const p of c.peers) joinOnAccess(c, p);
    if ([...c.replicas.values()].every((r) => r.base === 'missing')) {
      for (const r of c.replicas.values()) {
        r.base = 'ok';
        r.admin = reinitialisedAdmin(c.cid, c.peers);
      }
    }
    found = { c, r: c.replicas.get(peer) as Replica };
  }
  if (!found) return reply(431, CANTOPEN);
  const opened = open(ctx, found, peer);
  if ('status' in opened) return opened;
  return reply(200, 'OK', adminJson(opened.r));
}

function has(ctx: SimContext, peer: PeerId, found: { c: Container; r: Replica } | undefined): SimNativeReply {
  // A stat of the file: a corrupt file exists (200); a renamed one does not (431).
  if (!found || found.r.base === 'missing') return reply(431, HAS_NOT_FOUND);
  return reply(200, 'OK', JSON.stringify(`${basePath(ctx, peer, found.c.cid)}:${found.r.mtime}`));
}

function status(ctx: SimContext, peer: PeerId, found: { c: Container; r: Replica } | undefined): SimNativeReply {
  if (!found) return reply(431, HAS_NOT_FOUND);
  const c = ctx.ns.mutable(found.c);
  const r = c.replicas.get(peer) as Replica;
  joinOnAccess(c, peer);
  if (c.election.noMaster) return reply(500, `Election failed for ${c.cid}.1.meta2`);
  const master = masterOf(c);
  if (renamed.has(r) && r.base === 'missing' && master !== undefined && master !== peer) {
    // The election restores a renamed corrupt replica from the master (DB_PIPEFROM).
    renamed.delete(r);
    scheduleResync(c, r, ctx.syncDelayMs, ctx.scheduler);
  }
  return roleOf(c, peer) === 'master' ? reply(200, 'MASTER') : reply(303, master ?? '');
}

/** The answer of service `peer` to one decoded request. */
export function answerNative(ctx: SimContext, peer: PeerId, m: NativeMessage): SimNativeReply {
  const name = m.name ?? '';
  if (name === 'REQ_PING') return reply(200, 'OK', 'OK\r\n');
  if (!['DB_PGET', 'DB_HAS', 'DB_STATUS'].includes(name)) return reply(404, 'No handler found');
  for (const field of ['NS', 'BNAME', 'BTYPE']) {
    if (paramValue(m, field) === undefined) return reply(400, `Missing '${field}'`);
  }
  const btype = (paramValue(m, 'BTYPE') as Buffer).toString('latin1');
  if (btype !== 'meta2') return reply(453, `Service type [${btype}] not managed`);
  const found = lookup(ctx, peer, (paramValue(m, 'BNAME') as Buffer).toString('latin1'));
  if (name === 'DB_PGET') return pget(ctx, peer, m, found);
  if (name === 'DB_HAS') return has(ctx, peer, found);
  return status(ctx, peer, found);
}
