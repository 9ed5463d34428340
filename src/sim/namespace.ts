// The simulated namespace as one store: explicit scenario containers (materialised at start),
// the lazy generated namespace (built on demand; only mutated containers are kept), the
// services and their faults, name/CID lookup and account-service paging in O(page).
import type { PeerId } from '../oio/types.js';
import { cidFromName } from '../oio/cid.js';
import { type Container, type Replica, buildContainer } from './model.js';
import { type CreationKeys, creationKeysOf } from './versions.js';
import { dropCaches } from './disk.js';
import {
  type FaultSpec, type InjectedFault, type ServiceFaults, SimFaultError,
  applyElectionFault, applyReplicaFault, applyServiceFault, isElectionFault, isReplicaFault, isServiceFault, newServiceFaults,
} from './faults.js';
import { GeneratedNamespace, type NameSequence } from './generator.js';
import type { Scenario, ScenarioContainer } from './scenario.js';

/** One row of the account service's container listing: [name, objects, bytes, is_prefix, mtime]. */
export type ListingRow = [string, number, number, 0, number];

export interface Page<T> {
  readonly items: T[];
  readonly truncated: boolean;
}

const RECENT_BUILDS = 4096;

function arraySequence(sorted: readonly string[]): NameSequence {
  return { length: sorted.length, at: (j) => sorted[j] as string };
}

/** First index whose name is after `marker` (exclusive) and at or after `prefix`. */
function lowerBound(seq: NameSequence, prefix: string, marker: string): number {
  let lo = 0;
  let hi = seq.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const name = seq.at(mid);
    if (name <= marker || name < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merges sorted sequences into one page (names deduplicated): O(page · log n). */
function pageOf(seqs: readonly NameSequence[], prefix: string, marker: string, limit: number): Page<string> {
  const pos = seqs.map((s) => lowerBound(s, prefix, marker));
  const items: string[] = [];
  for (;;) {
    let best: string | undefined;
    for (let k = 0; k < seqs.length; k++) {
      const s = seqs[k] as NameSequence;
      const j = pos[k] as number;
      if (j >= s.length) continue;
      const name = s.at(j);
      if (best === undefined || name < best) best = name;
    }
    if (best === undefined || !best.startsWith(prefix)) return { items, truncated: false };
    if (items.length === limit) return { items, truncated: true };
    items.push(best);
    for (let k = 0; k < seqs.length; k++) {
      const s = seqs[k] as NameSequence;
      if ((pos[k] as number) < s.length && s.at(pos[k] as number) === best) pos[k] = (pos[k] as number) + 1;
    }
  }
}

/** Cheap deterministic number from a CID, for default peers and ctime of explicit containers. */
function cidNumber(cid: string, from: number): number {
  return parseInt(cid.slice(from, from + 8), 16);
}

export class SimNamespace {
  readonly services: PeerId[];
  readonly serviceFaults = new Map<PeerId, ServiceFaults>();
  readonly generated: GeneratedNamespace | undefined;
  private readonly explicit = new Map<string, Container>();
  private readonly explicitByName = new Map<string, Map<string, string>>();
  private readonly explicitNames = new Map<string, string[]>();
  private explicitAccounts: string[] = [];
  /** Generated containers that were mutated (sync, leave, write, inject): index → state. */
  private readonly overrides = new Map<number, Container>();
  private readonly generatedIndex = new WeakMap<Container, number>();
  /** Unmutated generated containers built recently (insertion order = age). */
  private readonly recentBuilds = new Map<number, Container>();
  private readonly injectedLog: InjectedFault[] = [];
  /** Replicas whose file was changed behind the service's back (onDisk faults), for cache drops. */
  private readonly diskChanged = new Set<Replica>();

  private readonly creationKeys: CreationKeys;

  constructor(readonly name: string, scenario: Scenario) {
    // The meta2 services' line decides what a fresh base holds (a later setOioVersion changes the proxy only).
    this.creationKeys = creationKeysOf(scenario.oioVersion ?? 'master');
    this.generated = scenario.generate ? new GeneratedNamespace(scenario.generate, name, this.creationKeys) : undefined;
    const services = new Set<PeerId>(scenario.services ?? []);
    for (const c of scenario.containers ?? []) for (const p of c.peers ?? []) services.add(p);
    for (const p of this.generated?.services ?? []) services.add(p);
    this.services = [...services];
    for (const s of this.services) this.serviceFaults.set(s, newServiceFaults());
    for (const c of scenario.containers ?? []) this.addExplicit(c);
    for (const f of scenario.faults ?? []) this.inject(f, 'scenario');
  }

  private addExplicit(spec: ScenarioContainer): void {
    const cid = cidFromName(spec.account, spec.name);
    let peers = spec.peers ? [...spec.peers] : undefined;
    if (!peers) {
      const pool = [...this.services].sort();
      if (pool.length < 3) throw new SimFaultError(`container ${spec.account}/${spec.name} needs peers: fewer than 3 services`, { kind: 'down', service: '' });
      const start = cidNumber(cid, 0) % pool.length;
      peers = [0, 1, 2].map((k) => pool[(start + k) % pool.length] as PeerId);
    }
    const master = spec.master ?? peers[0] as PeerId;
    const order = [master, ...peers.filter((p) => p !== master)];
    const ctimeUs = spec.ctime ?? 1_500_000_000_000_000 + (cidNumber(cid, 8) % 100_000_000) * 1_000_000 + (cidNumber(cid, 16) % 1_000_000);
    const objects = spec.objects ?? cidNumber(cid, 24) % 100;
    const bytes = spec.bytes ?? objects * 1024;
    const container = buildContainer(
      { cid, account: spec.account, name: spec.name, namespace: this.name, peers, ctimeUs, objects, bytes },
      order,
      ctimeUs / 1e6,
      this.creationKeys,
    );
    for (const [k, v] of Object.entries(spec.properties ?? {})) {
      for (const r of container.replicas.values()) r.admin.set(`user.${k}`, v);
    }
    this.explicit.set(cid, container);
    let byName = this.explicitByName.get(spec.account);
    if (!byName) {
      byName = new Map();
      this.explicitByName.set(spec.account, byName);
      this.explicitAccounts.push(spec.account);
      this.explicitAccounts.sort();
    }
    byName.set(spec.name, cid);
    const names = [...byName.keys()].sort();
    this.explicitNames.set(spec.account, names);
  }

  /** A container by account and name (generated ones are built on demand), or undefined. */
  findByName(account: string, name: string): Container | undefined {
    const cid = this.explicitByName.get(account)?.get(name);
    if (cid !== undefined) return this.explicit.get(cid);
    const i = this.generated?.containerIndex(account, name);
    if (i === undefined) return undefined;
    this.generated?.rememberCid(i);
    return this.generatedContainer(i);
  }

  /** A container by uppercase CID: explicit ones, or generated ones whose CID was handed out. */
  findByCid(cid: string): Container | undefined {
    const c = this.explicit.get(cid);
    if (c) return c;
    const i = this.generated?.lookupCid(cid);
    return i === undefined ? undefined : this.generatedContainer(i);
  }

  private generatedContainer(i: number): Container {
    const stored = this.overrides.get(i);
    if (stored) return stored;
    // A probe asks about the same container several times in a row: keep recent builds.
    const cached = this.recentBuilds.get(i);
    if (cached) return cached;
    const built = (this.generated as GeneratedNamespace).build(i).container;
    this.generatedIndex.set(built, i);
    this.recentBuilds.set(i, built);
    if (this.recentBuilds.size > RECENT_BUILDS) {
      const oldest = this.recentBuilds.keys().next().value;
      if (oldest !== undefined) this.recentBuilds.delete(oldest);
    }
    return built;
  }

  /**
   * The container to mutate: a generated container is stored from now on (it is no longer
   * derived). Returns the stored instance, which may differ from `c` if a concurrent request
   * stored it first.
   */
  mutable(c: Container): Container {
    const i = this.generatedIndex.get(c);
    if (i === undefined) return c;
    const stored = this.overrides.get(i);
    if (stored) return stored;
    this.overrides.set(i, c);
    this.recentBuilds.delete(i);
    return c;
  }

  get materialisedCount(): number {
    return this.overrides.size;
  }

  isService(peer: PeerId): boolean {
    return this.serviceFaults.has(peer);
  }

  /** Applies a fault and records it. Throws SimFaultError if it names nothing known. */
  inject(f: FaultSpec, source: InjectedFault['source']): InjectedFault {
    let record: InjectedFault;
    if (isServiceFault(f)) {
      const s = this.serviceFaults.get(f.service);
      if (!s) throw new SimFaultError(`unknown service ${f.service}`, f);
      const wasDown = s.down;
      record = applyServiceFault(s, f, source);
      // A restarted service opens its bases afresh.
      if (f.kind === 'up' && wasDown) this.dropCaches(f.service);
    } else {
      const found = f.cid !== undefined ? this.findByCid(f.cid)
        : f.account !== undefined && f.container !== undefined ? this.findByName(f.account, f.container) : undefined;
      if (!found) throw new SimFaultError(`no such container ${f.cid ?? `${f.account}/${f.container}`}`, f);
      const c = this.mutable(found);
      if (isReplicaFault(f)) {
        record = applyReplicaFault(c, f, source);
        const r = record.peer === undefined ? undefined : c.replicas.get(record.peer);
        if (f.onDisk === true && r) this.diskChanged.add(r);
      }
      else if (isElectionFault(f)) record = applyElectionFault(c, f, source);
      else throw new SimFaultError('unknown fault kind', f);
    }
    this.injectedLog.push(record);
    return record;
  }

  /** Scenario and run-time faults, then the generated damage (computed: O(generated containers));
   * the damaged generated containers' CIDs become addressable. */
  injected(): InjectedFault[] {
    const out = [...this.injectedLog];
    const g = this.generated;
    if (g) {
      for (let i = 0; i < g.containerCount; i++) {
        if (!g.isDamaged(i)) continue;
        const built = g.build(i);
        // Handing a CID out makes it addressable by `cid=` and truth() from now on.
        g.rememberCid(i, built.container.cid);
        out.push(...built.faults);
      }
    }
    return out;
  }

  /** Closes the bases changed on disk (of one service, or all): the next access opens the file. */
  dropCaches(service?: PeerId): number {
    for (const r of this.diskChanged) if (!r.disk) this.diskChanged.delete(r);
    return dropCaches(this.diskChanged, service);
  }

  accountExists(account: string): boolean {
    return this.explicitByName.has(account) || this.generated?.accountIndex(account) !== undefined;
  }

  listAccounts(prefix: string, marker: string, limit: number): Page<string> {
    const seqs = [arraySequence(this.explicitAccounts)];
    if (this.generated) seqs.push(this.generated.accounts);
    return pageOf(seqs, prefix, marker, limit);
  }

  /** Container rows of one account; generated rows register their CID for later `cid=` lookups. */
  listContainers(account: string, prefix: string, marker: string, limit: number): Page<ListingRow> {
    const seqs: NameSequence[] = [arraySequence(this.explicitNames.get(account) ?? [])];
    const a = this.generated?.accountIndex(account);
    if (a !== undefined && this.generated) seqs.push(this.generated.containersOf(a));
    const page = pageOf(seqs, prefix, marker, limit);
    const byName = this.explicitByName.get(account);
    const items = page.items.map((name): ListingRow => {
      const cid = byName?.get(name);
      const c = cid === undefined ? undefined : this.explicit.get(cid);
      if (c) return [name, c.objects, c.bytes, 0, c.mtime];
      const g = this.generated as GeneratedNamespace;
      const i = g.containerIndex(account, name) as number;
      g.rememberCid(i);
      const [objects, bytes, mtime] = g.listingStats(i);
      return [name, objects, bytes, 0, mtime];
    });
    return { items, truncated: page.truncated };
  }

  /** Number of containers of an account (for the account info fields). */
  containerCount(account: string): number {
    const explicit = this.explicitNames.get(account)?.length ?? 0;
    const a = this.generated?.accountIndex(account);
    return explicit + (a === undefined || !this.generated ? 0 : this.generated.containersOf(a).length);
  }
}
