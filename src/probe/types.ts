// What a probe saw of one container and what it concluded. Produced by probeContainer
// (src/probe/probe.ts) from per-peer answers, consumed by the planner, the CLI, the sweep,
// the metrics and the journal.
import type { ReasonCode } from '../decisions/codes.js';
import type { AdminTable, ContainerRef, PeerId } from '../oio/types.js';

/** Health of ONE replica. The first four are damage to data; the last two mean "not seen". */
export type ReplicaHealth =
  | 'ok'
  | 'missing-keys'
  | 'malformed-keys'
  | 'missing-base'
  | 'corrupt-base'
  | 'unreachable'
  | 'timeout';

export const REPLICA_HEALTHS: readonly ReplicaHealth[] = [
  'ok', 'missing-keys', 'malformed-keys', 'missing-base', 'corrupt-base', 'unreachable', 'timeout',
];

/** Damage kinds (a replica whose data is wrong). */
export const DAMAGE_KINDS = ['missing-keys', 'malformed-keys', 'missing-base', 'corrupt-base'] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

/** How replicas are read: through the proxy's admin routes, or on each meta2's native port. */
export const PROBE_TRANSPORTS = ['proxy', 'native'] as const;
export type ProbeTransport = (typeof PROBE_TRANSPORTS)[number];

export type Role = 'master' | 'slave' | 'none' | 'unknown';

export interface ReplicaState {
  readonly peer: PeerId;
  readonly health: ReplicaHealth;
  /** 'unknown' on the cheap healthy path, where no election call was made. */
  readonly role: Role;
  readonly missingKeys: readonly string[];
  readonly malformedKeys: readonly string[];
  /** Human-readable cause, e.g. the per-peer message of `has` or the error code. */
  readonly detail?: string;
  /** The admin table read from this peer, when the read succeeded. */
  readonly table?: AdminTable;
}

export type ElectionProblem = 'no-master' | 'multi-master';

export interface ElectionView {
  /** The single master, or null when there is none or several. */
  readonly master: PeerId | null;
  readonly masters: readonly PeerId[];
  readonly problem?: ElectionProblem;
  /** Why there is a problem (e.g. which slave names which master), for reasons and logs. */
  readonly detail?: string;
}

export type Verdict = 'healthy' | 'repairable' | 'master-damaged' | 'unrepairable' | 'unknown';

export const VERDICTS: readonly Verdict[] = ['healthy', 'repairable', 'master-damaged', 'unrepairable', 'unknown'];

/** Everything one probe of one container produced. */
export interface ContainerReport {
  readonly ref: ContainerRef;
  readonly peers: readonly PeerId[];
  readonly replicas: readonly ReplicaState[];
  /** Absent when the election was not asked (healthy path). */
  readonly election?: ElectionView;
  readonly verdict: Verdict;
  /**
   * The verdict's reason code (src/decisions/codes.ts); set by every probe. Read it through
   * verdictCode(), which also answers for a report built without one.
   */
  readonly code?: ReasonCode;
  /** One sentence saying why this verdict, for logs, the CLI and the journal. */
  readonly reason: string;
  /** Set when verdict is 'unknown' because a call failed (code of the OioError, message). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Requests this probe made (proxy, or proxy and native with the native transport). */
  readonly requests: number;
}

/** Keys every healthy meta2 base holds on every supported version (oio-api.md). */
export const DEFAULT_REQUIRED_KEYS: readonly string[] = [
  'sys.account',
  'sys.m2.ctime',
  'sys.m2.init',
  'sys.m2.objects',
  'sys.m2.usage',
  'sys.m2.version',
  'sys.name',
  'sys.ns',
  'sys.peers',
  'sys.type',
  'sys.user.name',
  'version:main.admin',
];
