// A seeded, lazy namespace: accounts `acct-NNNN`, containers `ct-NNNNNNNN`, their peers,
// election order and damage all derived from (seed, index) with a cheap hash, so a namespace
// of a million containers costs nothing until a container is addressed. Nothing here is
// stored except the CID index (CIDs handed out in listings or addressed by name).
import type { PeerId } from '../oio/types.js';
import { cidFromName } from '../oio/cid.js';
import { type Container, buildContainer } from './model.js';
import type { CreationKeys } from './versions.js';
import { type InjectedFault, type ReplicaFaultKind, type ReplicaFaultSpec, REPLICA_FAULT_KINDS, applyReplicaFault } from './faults.js';

/** A damage pattern for generated containers: a replica fault on a slave (bare kind or `slave:`) or
 * on the master (`master:`), or `two-of-three` (master and one slave lack sys.m2.ctime: no quorum). */
export type GeneratedDamage = ReplicaFaultKind | `master:${ReplicaFaultKind}` | `slave:${ReplicaFaultKind}` | 'two-of-three';

export const DEFAULT_DAMAGE_MIX: readonly GeneratedDamage[] = [
  'slave:drop-keys', 'slave:missing-base', 'slave:corrupt-base', 'master:drop-keys', 'master:missing-base', 'two-of-three',
];

export interface GenerateOptions {
  readonly containers: number;
  /** Default: one account per 1000 containers. */
  readonly accounts?: number;
  /** meta2 services (default 6, at least `replicas`). */
  readonly services?: number;
  /** Replicas per container (default 3). */
  readonly replicas?: number;
  /** Share of damaged containers, 0..1 (default 0). */
  readonly damagedShare?: number;
  readonly seed?: number;
  /** Damage patterns to draw from (default DEFAULT_DAMAGE_MIX). */
  readonly kinds?: readonly GeneratedDamage[];
  /** Port of the first service `127.0.0.1:PORT`, the others follow (default 6201; free ports for native listeners). */
  readonly firstPort?: number;
}

/** murmur3's 32-bit finaliser over (seed, index, salt): cheap and well mixed. */
function mix(seed: number, index: number, salt: number): number {
  let h = (seed ^ Math.imul(index, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a tiny PRNG for the few draws one container needs (and the simulator's own draws). */
export function prng(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A sorted, virtual list of names: length plus random access. Listing is a binary search. */
export interface NameSequence {
  readonly length: number;
  at(j: number): string;
}

interface Derived {
  readonly peers: PeerId[];
  readonly electionOrder: PeerId[];
  readonly ctimeUs: number;
  readonly objects: number;
  readonly bytes: number;
  readonly damage: GeneratedDamage | undefined;
}

export class GeneratedNamespace {
  readonly containerCount: number;
  readonly accountCount: number;
  readonly services: readonly PeerId[];
  readonly replicas: number;
  private readonly seed: number;
  private readonly share: number;
  private readonly kinds: readonly GeneratedDamage[];
  private readonly accountWidth: number;
  private readonly containerWidth: number;
  /** First 48 bits of a CID → container index (or indexes, on the rare collision). */
  private readonly cidIndex = new Map<number, number | number[]>();

  constructor(opts: GenerateOptions, private readonly namespace: string, private readonly creationKeys?: CreationKeys) {
    if (!Number.isInteger(opts.containers) || opts.containers < 0) throw new RangeError('generate.containers must be a non-negative integer');
    this.containerCount = opts.containers;
    this.accountCount = Math.max(1, opts.accounts ?? Math.ceil(opts.containers / 1000));
    this.replicas = opts.replicas ?? 3;
    const serviceCount = Math.max(opts.services ?? 6, this.replicas);
    this.services = Array.from({ length: serviceCount }, (_, k) => `127.0.0.1:${(opts.firstPort ?? 6201) + k}`);
    this.seed = (opts.seed ?? 1) >>> 0;
    this.share = opts.damagedShare ?? 0;
    this.kinds = opts.kinds && opts.kinds.length > 0 ? opts.kinds : DEFAULT_DAMAGE_MIX;
    this.accountWidth = Math.max(4, String(this.accountCount - 1).length);
    this.containerWidth = Math.max(8, String(Math.max(0, this.containerCount - 1)).length);
  }

  accountName(a: number): string {
    return `acct-${pad(a, this.accountWidth)}`;
  }

  containerName(i: number): string {
    return `ct-${pad(i, this.containerWidth)}`;
  }

  /** Index of a generated account name, or undefined. */
  accountIndex(name: string): number | undefined {
    if (!name.startsWith('acct-') || name.length !== 5 + this.accountWidth) return undefined;
    const a = Number(name.slice(5));
    return Number.isInteger(a) && a >= 0 && a < this.accountCount && this.accountName(a) === name ? a : undefined;
  }

  /** Index of a generated container named (account, name), or undefined. */
  containerIndex(account: string, name: string): number | undefined {
    const a = this.accountIndex(account);
    if (a === undefined || !name.startsWith('ct-') || name.length !== 3 + this.containerWidth) return undefined;
    const i = Number(name.slice(3));
    if (!Number.isInteger(i) || i < 0 || i >= this.containerCount || i % this.accountCount !== a) return undefined;
    return this.containerName(i) === name ? i : undefined;
  }

  get accounts(): NameSequence {
    return { length: this.accountCount, at: (j) => this.accountName(j) };
  }

  /** Containers of account `a`, in name order (zero padding makes it index order). */
  containersOf(a: number): NameSequence & { indexAt(j: number): number } {
    const n = this.containerCount;
    const stride = this.accountCount;
    const length = a < n ? Math.floor((n - 1 - a) / stride) + 1 : 0;
    return { length, at: (j) => this.containerName(a + j * stride), indexAt: (j) => a + j * stride };
  }

  accountOf(i: number): string {
    return this.accountName(i % this.accountCount);
  }

  /** Records the CID of container i so later `cid=` requests find it. */
  rememberCid(i: number, cid: string = cidFromName(this.accountOf(i), this.containerName(i))): void {
    const key = parseInt(cid.slice(0, 12), 16);
    const prev = this.cidIndex.get(key);
    if (prev === undefined) this.cidIndex.set(key, i);
    else if (typeof prev === 'number') { if (prev !== i) this.cidIndex.set(key, [prev, i]); }
    else if (!prev.includes(i)) prev.push(i);
  }

  /** Container index of an uppercase CID seen before, or undefined. */
  lookupCid(cid: string): number | undefined {
    const hit = this.cidIndex.get(parseInt(cid.slice(0, 12), 16));
    if (hit === undefined) return undefined;
    const candidates = typeof hit === 'number' ? [hit] : hit;
    return candidates.find((i) => cidFromName(this.accountOf(i), this.containerName(i)) === cid);
  }

  get cidIndexSize(): number {
    return this.cidIndex.size;
  }

  private derive(i: number): Derived {
    const rand = prng(mix(this.seed, i, 1));
    const pool = [...this.services];
    const peers: PeerId[] = [];
    for (let k = 0; k < this.replicas; k++) {
      const pick = k + Math.floor(rand() * (pool.length - k));
      const chosen = pool[pick] as PeerId;
      pool[pick] = pool[k] as PeerId;
      pool[k] = chosen;
      peers.push(chosen);
    }
    const electionOrder = [...peers];
    for (let k = electionOrder.length - 1; k > 0; k--) {
      const m = Math.floor(rand() * (k + 1));
      [electionOrder[k], electionOrder[m]] = [electionOrder[m] as PeerId, electionOrder[k] as PeerId];
    }
    const ctimeUs = 1_600_000_000_000_000 + Math.floor(rand() * 200_000_000_000_000);
    const objects = Math.floor(rand() * 1000);
    const bytes = objects * (1 + Math.floor(rand() * 4096));
    const damaged = rand() < this.share;
    const damage = damaged ? this.kinds[Math.floor(rand() * this.kinds.length)] : undefined;
    return { peers, electionOrder, ctimeUs, objects, bytes, damage };
  }

  /** Listing row data without building the container: [objects, bytes, mtime]. */
  listingStats(i: number): [number, number, number] {
    const d = this.derive(i);
    return [d.objects, d.bytes, d.ctimeUs / 1e6];
  }

  /** Builds container i with its generated damage, plus the records of that damage. */
  build(i: number): { container: Container; faults: InjectedFault[] } {
    const d = this.derive(i);
    const account = this.accountOf(i);
    const name = this.containerName(i);
    const cid = cidFromName(account, name);
    const container = buildContainer(
      { cid, account, name, namespace: this.namespace, peers: d.peers, ctimeUs: d.ctimeUs, objects: d.objects, bytes: d.bytes },
      d.electionOrder,
      d.ctimeUs / 1e6,
      this.creationKeys,
    );
    const faults = d.damage === undefined ? [] : damageSpecs(d.damage).map((f) => applyReplicaFault(container, f, 'generated'));
    return { container, faults };
  }

  /** Whether container i is generated with damage (cheap: no container is built). */
  isDamaged(i: number): boolean {
    return this.derive(i).damage !== undefined;
  }
}

/** The replica faults of one damage pattern. */
export function damageSpecs(damage: GeneratedDamage): ReplicaFaultSpec[] {
  if (damage === 'two-of-three') {
    return [
      { kind: 'drop-keys', role: 'master', keys: ['sys.m2.ctime'] },
      { kind: 'drop-keys', role: 'slave', keys: ['sys.m2.ctime'] },
    ];
  }
  const [role, kind] = damage.includes(':') ? (damage.split(':') as ['master' | 'slave', ReplicaFaultKind]) : ['slave' as const, damage];
  if (!(REPLICA_FAULT_KINDS as readonly string[]).includes(kind)) throw new RangeError(`unknown damage kind ${damage}`);
  if (kind === 'malform-key') return [{ kind, role, key: 'sys.m2.ctime', value: 'yesterday' }];
  return [{ kind, role } as ReplicaFaultSpec];
}
