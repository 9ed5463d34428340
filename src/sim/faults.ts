// Fault kinds the simulator can inject, their specification (from the scenario YAML, the
// generator or `inject()` at run time) and how each one changes a container or a service.
// Applying a fault only edits model values; the routes make the damage visible on the wire.
import type { PeerId } from '../oio/types.js';
import { type Container, type Replica, type SimRole, masterOf, roleOf, truncatedOpenAdmin } from './model.js';
import { changeOnDisk, diskAdmin } from './disk.js';

export const REPLICA_FAULT_KINDS = ['drop-keys', 'malform-key', 'missing-base', 'corrupt-base', 'truncate-base'] as const;
export const SERVICE_FAULT_KINDS = ['down', 'up', 'slow', 'error-burst', 'malformed-json'] as const;
export const ELECTION_FAULT_KINDS = ['no-master', 'multi-master'] as const;
export type ReplicaFaultKind = (typeof REPLICA_FAULT_KINDS)[number];
export type ServiceFaultKind = (typeof SERVICE_FAULT_KINDS)[number];
export type ElectionFaultKind = (typeof ELECTION_FAULT_KINDS)[number];
export type FaultKind = ReplicaFaultKind | ServiceFaultKind | ElectionFaultKind;

/** Names a container: by account and container name, or by (uppercase) CID. */
export interface ContainerTarget {
  readonly account?: string;
  readonly container?: string;
  readonly cid?: string;
}

/** Names one replica of that container: a peer id, or a role ('slave' = first slave in election order). */
export interface ReplicaTarget extends ContainerTarget {
  readonly peer?: PeerId;
  readonly role?: 'master' | 'slave';
}

/**
 * `onDisk: true`: the damage is done to the base FILE behind the service's back (sqlite3, rm,
 * truncate, dd), and shows only once the service opens it again (src/sim/disk.ts). Without it the
 * damage is what the service serves from now on.
 */
interface DiskOption {
  readonly onDisk?: boolean;
}

export type ReplicaFaultSpec =
  | (ReplicaTarget & DiskOption & { readonly kind: 'drop-keys'; readonly keys?: readonly string[] })
  | (ReplicaTarget & DiskOption & { readonly kind: 'malform-key'; readonly key: string; readonly value: string })
  | (ReplicaTarget & DiskOption & { readonly kind: 'missing-base' | 'corrupt-base' | 'truncate-base' });

export type ServiceFaultSpec =
  | { readonly kind: 'down' | 'up'; readonly service: PeerId }
  | { readonly kind: 'slow'; readonly service: PeerId; readonly ms: number }
  | { readonly kind: 'error-burst' | 'malformed-json'; readonly service: PeerId; readonly count?: number };

export type ElectionFaultSpec = ContainerTarget & { readonly kind: ElectionFaultKind };

export type FaultSpec = ReplicaFaultSpec | ServiceFaultSpec | ElectionFaultSpec;

/** A fault as it was applied, for tests and the benchmark to compare with the daemon's findings. */
export interface InjectedFault {
  readonly kind: FaultKind;
  readonly cid?: string;
  readonly account?: string;
  readonly container?: string;
  readonly peer?: PeerId;
  readonly service?: PeerId;
  /** Election role of the damaged replica when the fault was applied. */
  readonly role?: SimRole;
  readonly detail: Readonly<Record<string, unknown>>;
  /** Where it came from. */
  readonly source: 'scenario' | 'generated' | 'inject';
}

/** Live state of one meta2 service's faults. */
export interface ServiceFaults {
  down: boolean;
  /** When the service was killed (Date.now()); the conscience marks it down a while later. */
  downSince: number | undefined;
  slowMs: number;
  errorBurst: number;
  malformedJson: number;
}

export function isReplicaFault(f: FaultSpec): f is ReplicaFaultSpec {
  return (REPLICA_FAULT_KINDS as readonly string[]).includes(f.kind);
}
export function isServiceFault(f: FaultSpec): f is ServiceFaultSpec {
  return (SERVICE_FAULT_KINDS as readonly string[]).includes(f.kind);
}
export function isElectionFault(f: FaultSpec): f is ElectionFaultSpec {
  return (ELECTION_FAULT_KINDS as readonly string[]).includes(f.kind);
}

export class SimFaultError extends Error {
  readonly code = 'SIM_BAD_FAULT';
  constructor(message: string, readonly fault: FaultSpec) {
    super(message);
    this.name = 'SimFaultError';
  }
}

/** Which peer a replica fault targets in this container. */
export function resolveReplicaPeer(c: Container, f: ReplicaTarget & { kind: string }): PeerId {
  if (f.peer !== undefined) {
    if (!c.replicas.has(f.peer)) throw new SimFaultError(`peer ${f.peer} holds no replica of ${c.account}/${c.name}`, f as FaultSpec);
    return f.peer;
  }
  const role = f.role ?? 'slave';
  const members = c.election.members;
  const peer = role === 'master' ? masterOf(c) : members.find((p) => roleOf(c, p) === 'slave') ?? c.peers.find((p) => p !== members[0]);
  if (peer === undefined) throw new SimFaultError(`no ${role} in ${c.account}/${c.name}`, f as FaultSpec);
  return peer;
}

/** Damages one replica; returns the record of what was done. */
export function applyReplicaFault(c: Container, f: ReplicaFaultSpec, source: InjectedFault['source']): InjectedFault {
  const peer = resolveReplicaPeer(c, f);
  const replica = c.replicas.get(peer);
  if (!replica) throw new SimFaultError(`peer ${peer} holds no replica`, f);
  const role = roleOf(c, peer);
  if (f.onDisk === true) return damageFile(c, replica, f, role, source);
  let detail: Record<string, unknown> = {};
  switch (f.kind) {
    case 'drop-keys': {
      const keys = f.keys && f.keys.length > 0 ? [...f.keys] : ['sys.m2.ctime'];
      for (const k of keys) replica.admin.delete(k);
      detail = { keys };
      break;
    }
    case 'malform-key':
      replica.admin.set(f.key, f.value);
      detail = { key: f.key, value: f.value };
      break;
    case 'missing-base':
      replica.base = 'missing';
      replica.admin = new Map();
      break;
    case 'corrupt-base':
      replica.base = 'corrupt';
      break;
    case 'truncate-base':
      // As served after the first open of the 0-byte file (facts 25, 29: see truncatedOpenAdmin).
      replica.base = 'ok';
      replica.admin = truncatedOpenAdmin(c.cid);
      break;
  }
  return { kind: f.kind, cid: c.cid, account: c.account, container: c.name, peer, role, detail, source };
}

function damageFile(c: Container, r: Replica, f: ReplicaFaultSpec, role: SimRole, source: InjectedFault['source']): InjectedFault {
  const since = Date.now();
  let detail: Record<string, unknown> = { onDisk: true };
  switch (f.kind) {
    case 'drop-keys': {
      const keys = f.keys && f.keys.length > 0 ? [...f.keys] : ['sys.m2.ctime'];
      const admin = diskAdmin(r);
      for (const k of keys) admin.delete(k);
      changeOnDisk(r, { kind: 'admin', admin, since });
      detail = { ...detail, keys };
      break;
    }
    case 'malform-key': {
      const admin = diskAdmin(r);
      admin.set(f.key, f.value);
      changeOnDisk(r, { kind: 'admin', admin, since });
      detail = { ...detail, key: f.key, value: f.value };
      break;
    }
    case 'missing-base':
      changeOnDisk(r, { kind: 'removed', since });
      break;
    case 'corrupt-base':
      changeOnDisk(r, { kind: 'header-overwritten', since });
      break;
    case 'truncate-base':
      changeOnDisk(r, { kind: 'truncated', since });
      break;
  }
  return { kind: f.kind, cid: c.cid, account: c.account, container: c.name, peer: r.peer, role, detail, source };
}

export function applyElectionFault(c: Container, f: ElectionFaultSpec, source: InjectedFault['source']): InjectedFault {
  const master = masterOf(c);
  if (f.kind === 'no-master') c.election.noMaster = true;
  else c.election.multiMaster = true;
  const detail: Record<string, unknown> = { master: master ?? null };
  if (f.kind === 'multi-master') detail['secondMaster'] = c.election.members[1] ?? null;
  return { kind: f.kind, cid: c.cid, account: c.account, container: c.name, detail, source };
}

export function newServiceFaults(): ServiceFaults {
  return { down: false, downSince: undefined, slowMs: 0, errorBurst: 0, malformedJson: 0 };
}

export function applyServiceFault(s: ServiceFaults, f: ServiceFaultSpec, source: InjectedFault['source']): InjectedFault {
  let detail: Record<string, unknown> = {};
  switch (f.kind) {
    case 'down':
      if (!s.down) s.downSince = Date.now();
      s.down = true;
      break;
    case 'up':
      s.down = false;
      s.downSince = undefined;
      s.slowMs = 0;
      s.errorBurst = 0;
      s.malformedJson = 0;
      break;
    case 'slow':
      s.slowMs = f.ms;
      detail = { ms: f.ms };
      break;
    case 'error-burst':
      s.errorBurst += f.count ?? 1;
      detail = { count: f.count ?? 1 };
      break;
    case 'malformed-json':
      s.malformedJson += f.count ?? 1;
      detail = { count: f.count ?? 1 };
      break;
  }
  return { kind: f.kind, service: f.service, detail, source };
}

/**
 * Whether the conscience already marks a killed service down (tag.up=false): about 15 s after
 * the kill on a real namespace (oio-real-behaviour 26), `markDownAfterMs` here. Before that the
 * proxy still connects and gets "Connection refused" (code 2); after, it avoids the service (code 8).
 */
export function markedDown(s: ServiceFaults, markDownAfterMs: number, now = Date.now()): boolean {
  return s.down && s.downSince !== undefined && now - s.downSince >= markDownAfterMs;
}
