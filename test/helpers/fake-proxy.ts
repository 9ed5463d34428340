// An in-memory ProxyApi for probe and repair tests: a small stateful model of one container's
// replicas and election (sync copies the master's table, even a damaged one; leave hands
// mastership to the next peer in order; set-properties writes the diff through the master and
// replicates it). Records every call so tests can count requests and spot mutating routes.
import { OioHttpError, OioTimeoutError, OioUnavailableError } from '../../src/oio/errors.js';
import type { AdminTable, CallOptions, ContainerRef, ElectionDebug, PeerAnswer, PeerId, ProxyApi, ServiceInfo } from '../../src/oio/types.js';
import { healthyTable, PEERS } from './tables.js';

export interface FakePeer {
  /** null: no base file on this peer. */
  table: AdminTable | null;
  corrupt: boolean;
  down: boolean;
  slow: boolean;
}

export interface FakeCall {
  readonly route: string;
  readonly peers?: readonly PeerId[];
  readonly reqId?: string;
}

export const MUTATING_ROUTES: ReadonlySet<string> = new Set(['admin/sync', 'admin/leave', 'admin/set_properties']);

function clone(t: AdminTable): AdminTable {
  return { properties: { ...t.properties }, system: { ...t.system } };
}

/** What a peer without base gets from a sync when the master has no base either (real behaviour §13). */
function reinitialised(from: AdminTable): AdminTable {
  const keep = ['schema_version', 'sys.name', 'sys.peers', 'sys.type'];
  const system: Record<string, string> = {};
  for (const k of keep) if (from.system[k] !== undefined) system[k] = from.system[k] as string;
  for (const t of ['admin', 'aliases', 'chunks', 'contents', 'properties']) system[`version:main.${t}`] = '1:0';
  return { properties: {}, system };
}

function bump(version: string | undefined): string {
  const [n] = (version ?? '1:0').split(':');
  return `${Number(n) + 1}:0`;
}

export class FakeProxy implements ProxyApi {
  readonly peers = new Map<PeerId, FakePeer>();
  /** Election order (ZooKeeper sequence): leave moves the leaver to the end. */
  order: PeerId[];
  master: PeerId | null;
  readonly calls: FakeCall[] = [];
  /** Reads of a synced peer that still see the old table (sync is asynchronous). */
  syncLagReads = 0;
  /** When set, locate fails with this error. */
  locateError: Error | undefined;
  /** Status answers to give before the model's own (one list per call), e.g. a slow re-election. */
  readonly statusScript: PeerAnswer<string>[][] = [];
  /** Called after each mutating call with the master at that moment (for "never while damaged" checks). */
  onMutation: ((route: string, master: PeerId | null) => void) | undefined;
  /** Called on every call, before it acts (to interleave calls with journal writes in tests). */
  onCall: ((call: FakeCall) => void) | undefined;
  private readonly pending = new Map<PeerId, { remaining: number; table: AdminTable }>();

  constructor(peerIds: readonly PeerId[] = PEERS, master: PeerId | null = peerIds[1] ?? null) {
    for (const p of peerIds) this.peers.set(p, { table: healthyTable(), corrupt: false, down: false, slow: false });
    this.order = master ? [master, ...peerIds.filter((p) => p !== master)] : [...peerIds];
    this.master = master;
  }

  peer(id: PeerId): FakePeer {
    const p = this.peers.get(id);
    if (!p) throw new Error(`no such fake peer ${id}`);
    return p;
  }

  /** Calls made so far on the given route (or all). */
  count(route?: string): number {
    return route ? this.calls.filter((c) => c.route === route).length : this.calls.length;
  }

  mutations(): FakeCall[] {
    return this.calls.filter((c) => MUTATING_ROUTES.has(c.route));
  }

  private record(route: string, opts: CallOptions | undefined, peers?: readonly PeerId[]): void {
    const call = { route, ...(peers ? { peers: [...peers] } : {}), ...(opts?.reqId ? { reqId: opts.reqId } : {}) };
    this.calls.push(call);
    this.onCall?.(call);
    if (MUTATING_ROUTES.has(route)) this.onMutation?.(route, this.master);
  }

  private targets(peers: readonly PeerId[] | undefined): PeerId[] {
    return peers ? [...peers] : [...this.peers.keys()];
  }

  private answer<B>(peer: PeerId, status: number, message: string, body: B): PeerAnswer<B> {
    return { peer, status, message, body };
  }

  async locate(ref: ContainerRef, opts?: CallOptions): Promise<PeerId[]> {
    this.record('reference/show', opts);
    if (this.locateError) throw this.locateError;
    return [...this.peers.keys()];
  }

  async getProperties(ref: ContainerRef, peerId: PeerId, opts?: CallOptions): Promise<AdminTable> {
    this.record('admin/get_properties', opts, [peerId]);
    const p = this.peer(peerId);
    const pending = this.pending.get(peerId);
    if (pending) {
      if (pending.remaining <= 0) {
        p.table = pending.table;
        this.pending.delete(peerId);
      } else pending.remaining--;
    }
    if (p.down) throw new OioUnavailableError(`No service replied (last error: (2) ${peerId}: [errno=111] Connection refused)`, { route: 'admin/get_properties', peer: peerId, httpStatus: 503, oioStatus: 503 });
    if (p.slow) throw new OioTimeoutError(`Timeout to ${peerId}`, { route: 'admin/get_properties', peer: peerId });
    if (p.corrupt || !p.table) return { properties: {}, system: {} };
    return clone(p.table);
  }

  async has(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    this.record('admin/has', opts, peers);
    return this.targets(peers).map((id) => {
      const p = this.peer(id);
      if (p.down) return this.answer(id, 2, `${id}: [errno=111] Connection refused`, '');
      if (p.corrupt) return this.answer(id, 511, 'invalid database file: (26) SQLITE_NOTADB', '');
      if (!p.table) return this.answer(id, 431, 'Container not found : (2) No such file or directory', '');
      return this.answer(id, 200, 'OK', `/var/lib/oio/${id}/base.meta2:1795580730`);
    });
  }

  async status(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    this.record('admin/status', opts, peers);
    const scripted = this.statusScript.shift();
    if (scripted) return scripted;
    return this.targets(peers).map((id) => {
      if (this.peer(id).down) return this.answer(id, 2, `${id}: [errno=111] Connection refused`, '');
      if (!this.master) return this.answer(id, 500, 'Election failed', '');
      return id === this.master ? this.answer(id, 200, 'OK', '') : this.answer(id, 303, this.master, '');
    });
  }

  async debug(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<ElectionDebug | null>[]> {
    this.record('admin/debug', opts, peers);
    return this.targets(peers).map((id) => {
      if (this.peer(id).down) return this.answer<ElectionDebug | null>(id, 2, 'Connection refused', null);
      if (!this.master) return this.answer<ElectionDebug | null>(id, 200, 'OK', null);
      const state = id === this.master ? 'MASTER' : 'SLAVE';
      return this.answer<ElectionDebug | null>(id, 200, 'OK', { state, masterUrl: id === this.master ? null : this.master, pipefrom: 0, log: [] });
    });
  }

  async sync(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    this.record('admin/sync', opts, peers);
    const source = this.master ? this.peer(this.master) : undefined;
    return this.targets(peers).map((id) => {
      const p = this.peer(id);
      if (p.down) return this.answer(id, 2, `${id}: [errno=111] Connection refused`, '');
      if (id === this.master) return this.answer(id, 301, 'not SLAVE', '');
      if (p.corrupt) {
        // The service renames the corrupt file; the next sync recreates it (oio-api-sources §8.1).
        p.corrupt = false;
        p.table = null;
        return this.answer(id, 511, 'invalid database file', '');
      }
      const from = source?.table && !source.corrupt ? clone(source.table) : reinitialised(p.table ?? healthyTable());
      if (this.syncLagReads > 0) this.pending.set(id, { remaining: this.syncLagReads, table: from });
      else p.table = from;
      return this.answer(id, 200, 'OK', '');
    });
  }

  async leave(ref: ContainerRef, peers: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    this.record('admin/leave', opts, peers);
    return peers.map((id) => {
      if (this.peer(id).down) return this.answer(id, 2, `${id}: [errno=111] Connection refused`, '');
      if (id === this.master) {
        // The next peer in election order takes over, whatever its health (real behaviour §11).
        this.order = [...this.order.filter((p) => p !== id), id];
        this.master = this.order.find((p) => !this.peer(p).down) ?? null;
      }
      return this.answer(id, 200, 'OK', '');
    });
  }

  async setProperties(ref: ContainerRef, system: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void> {
    this.record('admin/set_properties', opts);
    const master = this.master ? this.peer(this.master) : undefined;
    if (!master?.table || master.corrupt) {
      throw new OioHttpError('no master to write through', { route: 'admin/set_properties', httpStatus: 503, oioStatus: 503 });
    }
    const diff = Object.fromEntries(Object.entries(system).filter(([k, v]) => master.table?.system[k] !== v));
    if (Object.keys(diff).length === 0) return;
    const version = bump(master.table.system['version:main.admin']);
    master.table = { properties: master.table.properties, system: { ...master.table.system, ...diff, 'version:main.admin': version } };
    for (const [id, p] of this.peers) {
      if (id === this.master || p.down) continue;
      // Only the diff replicates; a slave without base gets a full copy (real behaviour §10).
      p.table = p.table && !p.corrupt
        ? { properties: p.table.properties, system: { ...p.table.system, ...diff, 'version:main.admin': version } }
        : clone(master.table);
      p.corrupt = false;
    }
  }

  async listServices(_type: string, opts?: CallOptions): Promise<ServiceInfo[]> {
    this.record('conscience/list', opts);
    return [];
  }
}
