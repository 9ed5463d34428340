// Evidence before overwrite, pure: from the container as read just before a step that
// overwrites replicas (a sync copies the master's base over slaves; a write-back rewrites admin
// keys on every replica), what each replica held: its role, its base (present, missing, corrupt,
// unknown), its health and its admin table: whole up to `maxTableBytes` of JSON, else a sha256
// digest of it plus the values of the keys in question. The executor journals it (fsynced)
// before the step's first request, so what was lost and where it came from can be shown later.
import { createHash } from 'node:crypto';
import type { AdminTable, PeerId } from '../oio/types.js';
import type { ContainerReport, ReplicaHealth, ReplicaState, Role } from '../probe/types.js';
import type { RepairStep } from '../repair/types.js';

export type BaseState = 'present' | 'missing' | 'corrupt' | 'unknown';

/** One replica as it was just before the step. */
export interface ReplicaEvidence {
  readonly peer: PeerId;
  readonly role: Role;
  readonly health: ReplicaHealth;
  readonly base: BaseState;
  /** This replica is what the step overwrites (a synced slave; every replica for a write-back). */
  readonly overwritten: boolean;
  /** The whole admin table, when its JSON is at most the configured size. */
  readonly table?: AdminTable;
  /** Otherwise its sha256 (of the JSON of `{properties, system}`, keys sorted), size and key count… */
  readonly digest?: { readonly sha256: string; readonly bytes: number; readonly keys: number };
  /** …and the values of the keys in question (null: absent). */
  readonly keys?: Readonly<Record<string, string | null>>;
}

/** The body of an `evidence` journal entry (the executor adds time, container and reqId). */
export interface EvidenceRecord {
  readonly round: number;
  readonly step: RepairStep;
  /** Where the data written comes from: the master for a sync or a write-back. */
  readonly source: PeerId | null;
  readonly replicas: readonly ReplicaEvidence[];
}

export function baseState(health: ReplicaHealth): BaseState {
  switch (health) {
    case 'missing-base': return 'missing';
    case 'corrupt-base': return 'corrupt';
    case 'unreachable':
    case 'timeout': return 'unknown';
    default: return 'present';
  }
}

/** The JSON of a table with its keys sorted: the same table always gives the same digest. */
function canonical(table: AdminTable): string {
  const sorted = (m: Readonly<Record<string, string>>): Record<string, string> =>
    Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));
  return JSON.stringify({ properties: sorted(table.properties), system: sorted(table.system) });
}

/** The keys a step is about: those written, and those missing or malformed on any replica. */
export function keysInQuestion(report: ContainerReport, step: RepairStep): string[] {
  const keys = new Set<string>(['version:main.admin']);
  for (const r of report.replicas) for (const k of [...r.missingKeys, ...r.malformedKeys]) keys.add(k);
  if (step.kind === 'set-properties') for (const k of Object.keys(step.values)) keys.add(k);
  return [...keys].sort();
}

function overwrites(step: RepairStep, peer: PeerId): boolean {
  switch (step.kind) {
    case 'sync': return step.peers.includes(peer);
    case 'set-properties': return true;
    default: return false;
  }
}

function replicaEvidence(r: ReplicaState, step: RepairStep, keys: readonly string[], maxTableBytes: number): ReplicaEvidence {
  const base = { peer: r.peer, role: r.role, health: r.health, base: baseState(r.health), overwritten: overwrites(step, r.peer) };
  if (!r.table) return base;
  const json = canonical(r.table);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= maxTableBytes) return { ...base, table: r.table };
  const all = { ...r.table.properties, ...r.table.system };
  return {
    ...base,
    digest: { sha256: createHash('sha256').update(json).digest('hex'), bytes, keys: Object.keys(r.table.properties).length + Object.keys(r.table.system).length },
    keys: Object.fromEntries(keys.map((k) => [k, all[k] ?? null])),
  };
}

/** What every replica of `report` held, for a step about to overwrite some of them. */
export function evidenceRecord(report: ContainerReport, round: number, step: RepairStep, maxTableBytes: number): EvidenceRecord {
  const keys = keysInQuestion(report, step);
  return {
    round,
    step,
    source: report.election?.master ?? null,
    replicas: report.replicas.map((r) => replicaEvidence(r, step, keys, maxTableBytes)),
  };
}
