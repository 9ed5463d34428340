// The simulator's in-memory model of a meta2 namespace: containers, their replicas on named
// meta2 services, the election (ZooKeeper order, master) and the admin table of each base.
// Pure data plus the small builders that make healthy or re-initialised admin tables; the HTTP
// routes (routes/*.ts) and the election actions (election.ts) act on these values.
import type { PeerId } from '../oio/types.js';
import { baseName } from '../oio/cid.js';
import { type CreationKeys, creationKeysOf } from './versions.js';

/** State of one replica's base file: present and readable, absent (431), or corrupt (511). */
export type BaseState = 'ok' | 'missing' | 'corrupt';

/** Election role of one peer for one base; 'none' = not an election member (after a leave). */
export type SimRole = 'master' | 'slave' | 'none';

export interface Replica {
  readonly peer: PeerId;
  base: BaseState;
  /** The stored admin table (`user.*` keys included, `stats.*` excluded: those are computed). */
  admin: Map<string, string>;
  /** File mtime in seconds, shown by `admin/has`; changes when the replica is rewritten. */
  mtime: number;
  /** A resync from the master is in flight (debug `#.pipefrom`). */
  pipefrom: boolean;
  /** Election log, newest first, at most 32 entries (debug `log`). */
  log: string[];
  /**
   * The file changed behind the service's back while it keeps the base open (oio-real-behaviour
   * 24): what the next open finds. Undefined: the file is what is served.
   */
  disk?: DiskChange;
  /** The service closed the base (cache dropped, restart) since `disk` changed: the next access opens the file. */
  closed?: boolean;
  /** Renamed `*.meta2.corrupted` on open: the next access that runs its election restores it (fact 29). */
  restoreOnElection?: boolean;
}

/** A change made to a base file with the service still holding it open. */
export type DiskChange = (
  | { readonly kind: 'admin'; readonly admin: Map<string, string> }
  | { readonly kind: 'removed' | 'truncated' | 'header-overwritten' }
) & { readonly since: number };

export interface Election {
  /** Election members in ZooKeeper sequence order; the first is the master. */
  members: PeerId[];
  /** ZooKeeper sequence id of each member (debug `local.id`). */
  ids: Map<PeerId, number>;
  nextId: number;
  /** Fault: the election never settles (status answers 500, no master). */
  noMaster: boolean;
  /** Fault: the second member also believes it is master. */
  multiMaster: boolean;
}

export interface Container {
  readonly cid: string;
  readonly account: string;
  readonly name: string;
  /** Peers as meta1 lists them (reference/show order before shuffling). */
  readonly peers: readonly PeerId[];
  readonly replicas: Map<PeerId, Replica>;
  readonly election: Election;
  readonly objects: number;
  readonly bytes: number;
  /** Listing mtime (seconds, float) for the account service. */
  readonly mtime: number;
}

/** One replica as tests see it in `truth()`. */
export interface ReplicaTruth {
  readonly peer: PeerId;
  readonly role: SimRole;
  readonly base: BaseState;
  readonly admin: Readonly<Record<string, string>>;
  readonly syncPending: boolean;
}

/** Ground truth of one container, for tests and the benchmark to compare with what the daemon saw. */
export interface ContainerTruth {
  readonly cid: string;
  readonly account: string;
  readonly container: string;
  readonly peers: readonly PeerId[];
  /** Current single master, null when none (no-master fault or everybody left). */
  readonly master: PeerId | null;
  readonly electionOrder: readonly PeerId[];
  readonly replicas: readonly ReplicaTruth[];
}

/** What a healthy base holds, before any damage. */
export interface BaseSeed {
  readonly cid: string;
  readonly account: string;
  readonly name: string;
  readonly namespace: string;
  readonly peers: readonly PeerId[];
  /** Creation time, microseconds since the epoch (16 digits). */
  readonly ctimeUs: number;
  readonly objects: number;
  readonly bytes: number;
}

/** Tables every sqliterepo base gets when opened, even empty (real-behaviour 6, 13). */
const VERSION_TABLES = ['admin', 'aliases', 'chunks', 'contents', 'properties', 'shard_ranges'] as const;

/** The keys of a base re-initialised empty (truncated file, sync from a master without base). */
export function reinitialisedAdmin(cid: string, peers: readonly PeerId[]): Map<string, string> {
  const admin = new Map<string, string>();
  admin.set('schema_version', '1.8');
  admin.set('sys.name', baseName(cid));
  admin.set('sys.peers', sortedPeers(peers));
  admin.set('sys.type', 'meta2');
  for (const table of VERSION_TABLES) admin.set(`version:main.${table}`, '1:0');
  return admin;
}

/**
 * What the first open of a base truncated to 0 bytes writes: a fresh schema, 9 admin rows
 * (`schema_version`, `sys.name`, `sys.type`, `version:main.*` = `1:0`) and no `sys.peers`.
 * Facts 25 and 29 differ in wording only: 25 counted 13 keys through get_properties (these 9 plus
 * the 4 computed `stats.*`), 29 (2026-12-02, the newer) counted 9 rows in the file; we keep 29's.
 */
export function truncatedOpenAdmin(cid: string): Map<string, string> {
  const admin = new Map<string, string>();
  admin.set('schema_version', '1.8');
  admin.set('sys.name', baseName(cid));
  admin.set('sys.type', 'meta2');
  for (const table of VERSION_TABLES) admin.set(`version:main.${table}`, '1:0');
  return admin;
}

/**
 * The admin table of a healthy, initialised meta2 base (oio-api.md "Read the admin table"), with
 * the keys its line writes at creation (default master's; src/sim/versions.ts, fact 38).
 */
export function healthyAdmin(seed: BaseSeed, keys: CreationKeys = creationKeysOf('master')): Map<string, string> {
  const admin = new Map<string, string>();
  admin.set('schema_version', '1.8');
  admin.set('sys.account', seed.account);
  admin.set('sys.m2.ctime', String(seed.ctimeUs));
  admin.set('sys.m2.init', '1');
  admin.set('sys.m2.objects', String(seed.objects));
  for (const [k, v] of Object.entries(keys.extra)) admin.set(k, v);
  admin.set('sys.m2.usage', String(seed.bytes));
  admin.set('sys.m2.version', '0');
  admin.set('sys.name', baseName(seed.cid));
  admin.set('sys.ns', seed.namespace);
  admin.set('sys.peers', sortedPeers(seed.peers));
  admin.set('sys.status', '0');
  admin.set('sys.type', 'meta2');
  admin.set('sys.user.name', seed.name);
  for (const table of keys.tables) admin.set(`version:main.${table}`, table === 'admin' ? '2:0' : '1:0');
  return new Map([...admin].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `stats.*` keys the service adds to `admin/get_properties` answers; never stored. */
export const STATS_KEYS: Readonly<Record<string, string>> = {
  'stats.page_count': '20',
  'stats.freelist_count': '0',
  'stats.page_size': '4096',
  'stats.journal_mode': 'memory',
};

export function sortedPeers(peers: readonly PeerId[]): string {
  return [...peers].sort().join(',');
}

/** Builds a container with healthy replicas and an election in the given order. */
export function buildContainer(seed: BaseSeed, electionOrder: readonly PeerId[], mtime: number, keys?: CreationKeys): Container {
  const replicas = new Map<PeerId, Replica>();
  for (const peer of seed.peers) {
    replicas.set(peer, { peer, base: 'ok', admin: healthyAdmin(seed, keys), mtime: Math.floor(mtime), pipefrom: false, log: [] });
  }
  const ids = new Map<PeerId, number>();
  let nextId = 1;
  for (const peer of electionOrder) ids.set(peer, nextId++);
  return {
    cid: seed.cid,
    account: seed.account,
    name: seed.name,
    peers: [...seed.peers],
    replicas,
    election: { members: [...electionOrder], ids, nextId, noMaster: false, multiMaster: false },
    objects: seed.objects,
    bytes: seed.bytes,
    mtime,
  };
}

/** The single master, or undefined when the election has none. */
export function masterOf(c: Container): PeerId | undefined {
  if (c.election.noMaster) return undefined;
  return c.election.members[0];
}

export function roleOf(c: Container, peer: PeerId): SimRole {
  const idx = c.election.members.indexOf(peer);
  if (idx < 0) return 'none';
  if (c.election.noMaster) return 'slave';
  if (idx === 0 || (idx === 1 && c.election.multiMaster)) return 'master';
  return 'slave';
}

/** Appends an election log line, newest first, keeping 32 (real-behaviour 21). */
export function logElection(replica: Replica, from: string, event: string, to: string): void {
  replica.log.unshift(`${Date.now()}:${from}:${event}:${to}`);
  if (replica.log.length > 32) replica.log.length = 32;
}

export function truthOf(c: Container): ContainerTruth {
  return {
    cid: c.cid,
    account: c.account,
    container: c.name,
    peers: [...c.peers],
    master: c.election.multiMaster ? null : masterOf(c) ?? null,
    electionOrder: [...c.election.members],
    replicas: c.peers.map((peer) => {
      const r = c.replicas.get(peer);
      return {
        peer,
        role: roleOf(c, peer),
        base: r?.base ?? 'missing',
        admin: r ? Object.fromEntries(r.admin) : {},
        syncPending: r?.pipefrom ?? false,
      };
    }),
  };
}
