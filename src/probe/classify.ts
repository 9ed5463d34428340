// Pure classification: per-peer answers → the health of one replica, status answers → the
// election view, replicas + election → the container's verdict. No I/O here: probe.ts gathers
// the answers, these functions decide, and a table of cases tests them without a server.
import { errorText } from '../errors.js';
import { OioPeerStatusError, OioTimeoutError, OioUnavailableError, OioUnreachableError } from '../oio/errors.js';
import { baseName } from '../oio/cid.js';
import type { AdminTable, ElectionDebug, PeerAnswer, PeerId } from '../oio/types.js';
import type { ReasonCode } from '../decisions/codes.js';
import type { ElectionView, ReplicaHealth, ReplicaState, Role, Verdict } from './types.js';

export interface ReplicaInput {
  readonly peer: PeerId;
  /** The admin table read from this peer with `local=1`, when the read succeeded. */
  readonly table?: AdminTable | undefined;
  /** Why the read of this peer failed (normally an OioError). */
  readonly readError?: unknown;
  /** This peer's entry in `admin/has`, when it was asked. */
  readonly has?: PeerAnswer<string> | undefined;
  readonly role: Role;
  readonly cid: string;
  readonly requiredKeys: readonly string[];
  /**
   * The read reports the peer's own errors (the native transport: 431, 511 as such), so an
   * empty table is a table without keys, not an error the proxy hid behind 200.
   */
  readonly exactRead?: boolean | undefined;
  /**
   * The proxy answers an unreachable peer's read with the same empty maps as a missing or corrupt
   * base (7.x and older, fact 34; and any line not detected yet): without that peer's own `has`
   * answer, an empty table is then "not seen", never damage.
   */
  readonly emptyMayBeUnreachable?: boolean | undefined;
}

const CTIME_RE = /^[1-9]\d{15}$/; // µs since the epoch: 16 digits from 2001 to 2286
const INTEGER_RE = /^-?\d+$/;
const VERSION_RE = /^\d+:\d+$/;

/** Per-peer codes of the proxy's own network failures (core/internals.h): 7 is a read timeout. */
const NETWORK_CODES = new Set([2, 3, 4, 5, 6, 8, 9, 10]);
const READ_TIMEOUT_CODE = 7;

/**
 * Checks of the values of well-known keys, in this order; a key absent from the table is never
 * malformed. `name` is the container's base name (sys.name must be it). One table for every
 * replica: the sweep checks three per container.
 */
const VALUE_CHECKS: ReadonlyArray<readonly [string, (v: string, name: string) => boolean]> = [
  ['sys.m2.ctime', (v) => CTIME_RE.test(v)],
  ['sys.m2.init', (v) => v === '1'],
  ['sys.name', (v, name) => v === name],
  ['sys.type', (v) => v === 'meta2'],
  ['version:main.admin', (v) => VERSION_RE.test(v)],
  ['sys.m2.objects', (v) => INTEGER_RE.test(v)],
  ['sys.m2.usage', (v) => INTEGER_RE.test(v)],
  ['sys.m2.version', (v) => INTEGER_RE.test(v)],
];

/** Required keys absent from `system`, and present well-known keys whose value is wrong. */
export function checkKeys(
  system: Readonly<Record<string, string>>,
  cid: string,
  requiredKeys: readonly string[],
): KeyFindings {
  let missingKeys: string[] | undefined;
  for (const k of requiredKeys) if (system[k] === undefined) (missingKeys ??= []).push(k);
  let malformedKeys: string[] | undefined;
  let name: string | undefined;
  for (const [key, valid] of VALUE_CHECKS) {
    const value = system[key];
    if (value !== undefined && !valid(value, (name ??= baseName(cid.toUpperCase())))) (malformedKeys ??= []).push(key);
  }
  // A healthy table (nearly every one) shares the empty findings: no array per replica.
  if (missingKeys === undefined && malformedKeys === undefined) return NO_FINDINGS;
  return { missingKeys: missingKeys ?? NONE, malformedKeys: malformedKeys ?? NONE };
}

/** What checkKeys found; its arrays may be shared (frozen), never change them. */
export interface KeyFindings {
  readonly missingKeys: readonly string[];
  readonly malformedKeys: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);
const NO_FINDINGS: KeyFindings = Object.freeze({ missingKeys: NONE, malformedKeys: NONE });

function state(
  input: ReplicaInput,
  health: ReplicaHealth,
  detail: string,
  keys: KeyFindings = NO_FINDINGS,
): ReplicaState {
  const out: { -readonly [K in keyof ReplicaState]: ReplicaState[K] } = {
    peer: input.peer,
    health,
    role: input.role,
    missingKeys: keys.missingKeys,
    malformedKeys: keys.malformedKeys,
  };
  if (detail) out.detail = detail;
  if (input.table) out.table = input.table;
  return out;
}

/** Whether a map has no key, without listing its keys (a healthy table has some 25). */
function isEmpty(map: Readonly<Record<string, string>>): boolean {
  for (const _key in map) return false;
  return true;
}

/** Network-level read failures: the peer was not seen at all. */
function classifyNetworkError(err: unknown): 'unreachable' | 'timeout' | undefined {
  if (err instanceof OioTimeoutError) return 'timeout';
  if (err instanceof OioUnreachableError) return 'unreachable';
  // The proxy answers 503 "No service replied" for an unreachable peer (real behaviour §1),
  // and 503 "Deadline reached" when x-oio-timeout expired (§3).
  if (err instanceof OioUnavailableError) return /deadline|timeout/i.test(err.message) ? 'timeout' : 'unreachable';
  return undefined;
}

/** The per-peer verdict of `admin/has`, when it says more than "present". */
function classifyHas(has: PeerAnswer<string>): { health: ReplicaHealth; detail: string } | undefined {
  const detail = `has answered ${has.status} ${JSON.stringify(has.message)}`;
  if (has.status === 200) return undefined;
  if (has.status === 431) return { health: 'missing-base', detail };
  if (has.status === 511) return { health: 'corrupt-base', detail };
  if (has.status === READ_TIMEOUT_CODE) return { health: 'timeout', detail };
  if (NETWORK_CODES.has(has.status)) return { health: 'unreachable', detail };
  // Any other code (500, 503, 453…): the peer did not show its base; count it as not seen.
  return { health: 'unreachable', detail };
}

/** The peer's own status of a native read: 431 no file, 511 not a database, else not seen. */
function classifyPeerStatus(err: OioPeerStatusError): { health: ReplicaHealth; detail: string } {
  const detail = `read answered ${err.oioStatus ?? '?'}: ${err.message}`;
  if (err.oioStatus === 431) return { health: 'missing-base', detail };
  if (err.oioStatus === 511) return { health: 'corrupt-base', detail };
  if (err.oioStatus === 504) return { health: 'timeout', detail };
  return { health: 'unreachable', detail };
}

/**
 * Health of one replica. Order: network failure of the read, then the peer's own `has` code,
 * then the peer's own status of a native read (431 missing-base, 511 corrupt-base), then any
 * other read failure (not seen), then the table: through the proxy an empty `system` map is a
 * hidden error (corrupt-base), then missing and malformed keys (both lists always reported).
 */
export function classifyReplica(input: ReplicaInput): ReplicaState {
  if (input.readError !== undefined) {
    const network = classifyNetworkError(input.readError);
    if (network) return state(input, network, `read failed: ${errorText(input.readError)}`);
  }
  if (input.has) {
    const fromHas = classifyHas(input.has);
    if (fromHas) return state(input, fromHas.health, fromHas.detail);
  }
  if (input.readError instanceof OioPeerStatusError) {
    const own = classifyPeerStatus(input.readError);
    return state(input, own.health, own.detail);
  }
  if (input.readError !== undefined || !input.table) {
    const why = input.readError === undefined ? 'no admin table read' : errorText(input.readError);
    return state(input, 'unreachable', `read failed: ${why}`);
  }
  const system = input.table.system;
  if (isEmpty(system) && !input.exactRead) {
    if (input.emptyMayBeUnreachable && !input.has) {
      return state(input, 'unreachable', 'empty admin table and no has answer for this peer: on this line an unreachable peer reads the same (fact 34)');
    }
    return state(input, 'corrupt-base', 'empty admin table (the proxy hides the peer\'s own error behind 200)');
  }
  const keys = checkKeys(system, input.cid, input.requiredKeys);
  if (keys.missingKeys.length > 0) {
    return state(input, 'missing-keys', `lacks ${keys.missingKeys.join(', ')}`, keys);
  }
  if (keys.malformedKeys.length > 0) {
    const shown = keys.malformedKeys.map((k) => `${k}=${JSON.stringify(system[k])}`).join(', ');
    return state(input, 'malformed-keys', `malformed ${shown}`, keys);
  }
  return state(input, 'ok', '', keys);
}

/** Role of a peer from its `admin/status` answer: 200 master, 303 slave, network code unknown. */
export function roleFromStatus(answer: PeerAnswer<string> | undefined): Role {
  if (!answer) return 'unknown';
  if (answer.status === 200) return 'master';
  if (answer.status === 303) return 'slave';
  if (NETWORK_CODES.has(answer.status) || answer.status === READ_TIMEOUT_CODE) return 'unknown';
  return 'none';
}

/**
 * Election view from `admin/status`. One peer answering 200 with every 303 naming it is a master.
 * No 200 is 'no-master' even when slaves name someone (the master did not confirm). Several 200s,
 * or slaves naming a different peer than the single 200, are 'multi-master': the peers do not
 * agree on who writes, and acting on either view could sync from the wrong copy.
 */
export function electionView(status: readonly PeerAnswer<string>[]): ElectionView {
  const masters = status.filter((a) => a.status === 200).map((a) => a.peer);
  const slaves = status.filter((a) => a.status === 303);
  return viewOf(masters, slaves.map((a) => ({ peer: a.peer, names: a.message.trim() })));
}

/** The same view from `admin/debug` (used only when status is ambiguous). */
export function electionViewFromDebug(debug: readonly PeerAnswer<ElectionDebug | null>[]): ElectionView {
  const ok = debug.filter((a) => a.status === 200 && a.body);
  const masters = ok.filter((a) => a.body?.state === 'MASTER').map((a) => a.peer);
  const slaves = ok
    .filter((a) => a.body?.state === 'SLAVE')
    .map((a) => ({ peer: a.peer, names: a.body?.masterUrl ?? '' }));
  return viewOf(masters, slaves);
}

function viewOf(masters: PeerId[], slaves: { peer: PeerId; names: string }[]): ElectionView {
  if (masters.length === 0) {
    const named = [...new Set(slaves.map((s) => s.names).filter(Boolean))];
    const detail = named.length > 0
      ? `no peer answered as master (slaves name ${named.join(', ')})`
      : 'no peer answered as master';
    return { master: null, masters, problem: 'no-master', detail };
  }
  if (masters.length > 1) {
    return { master: null, masters, problem: 'multi-master', detail: `several peers answered as master: ${masters.join(', ')}` };
  }
  const master = masters[0] as PeerId;
  const dissent = slaves.filter((s) => s.names !== master);
  if (dissent.length > 0) {
    const who = dissent.map((s) => `${s.peer} names ${s.names || 'nobody'}`).join(', ');
    return { master: null, masters, problem: 'multi-master', detail: `${master} answered as master but ${who}` };
  }
  return { master, masters };
}

export interface VerdictResult {
  readonly verdict: Verdict;
  /** The reason code of this verdict (src/decisions/codes.ts). */
  readonly code: ReasonCode;
  readonly reason: string;
}

const DAMAGED: ReadonlySet<ReplicaHealth> = new Set(['missing-keys', 'malformed-keys', 'missing-base', 'corrupt-base']);
const UNSEEN: ReadonlySet<ReplicaHealth> = new Set(['unreachable', 'timeout']);

/** "127.0.0.1:6131 lacks sys.m2.ctime": what is wrong with one replica, for reasons. */
export function describeReplica(r: ReplicaState): string {
  switch (r.health) {
    case 'ok': return `${r.peer} is healthy`;
    case 'missing-keys': {
      const bad = r.malformedKeys.length > 0 ? ` and has malformed ${r.malformedKeys.join(', ')}` : '';
      return `${r.peer} lacks ${r.missingKeys.join(', ')}${bad}`;
    }
    case 'malformed-keys': return `${r.peer} has malformed ${r.malformedKeys.join(', ')}`;
    case 'missing-base': return `${r.peer} has no base`;
    case 'corrupt-base': return `${r.peer} has a corrupt or unreadable base`;
    case 'unreachable': return `${r.peer} is unreachable`;
    case 'timeout': return `${r.peer} timed out`;
  }
}

function list(rs: readonly ReplicaState[]): string {
  return rs.map(describeReplica).join('; ');
}

/**
 * The container's verdict. Quorum defaults to a strict majority of the located peers. Checked in
 * this order, so that a container is touched only when its master is seen, healthy and backed by a
 * healthy majority: healthy, unseen-only (unknown), too few healthy (unrepairable), election
 * problem (unknown), damaged master, unseen master (unknown), damaged slaves (repairable).
 */
export function containerVerdict(
  replicas: readonly ReplicaState[],
  election?: ElectionView,
  quorum: number = Math.floor(replicas.length / 2) + 1,
): VerdictResult {
  if (replicas.length === 0) return { verdict: 'unknown', code: 'WAIT_NO_PEERS', reason: 'no meta2 peer was located for this container' };
  const damaged = replicas.filter((r) => DAMAGED.has(r.health));
  const unseen = replicas.filter((r) => UNSEEN.has(r.health));
  const healthy = replicas.filter((r) => r.health === 'ok');
  if (damaged.length === 0 && unseen.length === 0) {
    return { verdict: 'healthy', code: 'HEALTHY', reason: `all ${replicas.length} replicas are healthy` };
  }
  if (damaged.length === 0) {
    return { verdict: 'unknown', code: 'PEER_UNREACHABLE', reason: `no damage seen but ${list(unseen)}, so nothing can be decided` };
  }
  if (healthy.length + unseen.length < quorum) {
    // Even if every unseen replica turned out healthy there would be no healthy quorum.
    const seen = unseen.length > 0 ? `; ${list(unseen)}` : '';
    return {
      verdict: 'unrepairable',
      code: 'REFUSED_NO_QUORUM',
      reason: `only ${healthy.length} of ${replicas.length} replicas are healthy (quorum ${quorum}): ${list(damaged)}${seen}`,
    };
  }
  if (healthy.length < quorum) {
    // No healthy quorum now, but unseen replicas may complete it: decide when they are seen,
    // rather than page for an unrepairable container during a service outage.
    return { verdict: 'unknown', code: 'PEER_UNREACHABLE', reason: `only ${healthy.length} of ${replicas.length} replicas are healthy (quorum ${quorum}) and ${list(unseen)}, while ${list(damaged)}` };
  }
  const master = election?.master ?? (election ? null : masterFromRoles(replicas));
  if (election?.problem) {
    return { verdict: 'unknown', code: 'WAIT_ELECTION', reason: `election problem (${election.problem}: ${election.detail ?? 'no detail'}) while ${list(damaged)}` };
  }
  if (!master) return { verdict: 'unknown', code: 'WAIT_ELECTION', reason: `the master is not known while ${list(damaged)}` };
  const masterReplica = replicas.find((r) => r.peer === master);
  if (!masterReplica) {
    return { verdict: 'unknown', code: 'WAIT_ELECTION', reason: `master ${master} is not one of the located peers while ${list(damaged)}` };
  }
  if (DAMAGED.has(masterReplica.health)) {
    const others = damaged.filter((r) => r !== masterReplica);
    const more = others.length > 0 ? `; also ${list(others)}` : '';
    return {
      verdict: 'master-damaged',
      code: 'MASTER_DAMAGED',
      reason: `master ${describeReplica(masterReplica)} while ${healthy.map((r) => r.peer).join(', ')} are healthy${more}`,
    };
  }
  if (UNSEEN.has(masterReplica.health)) {
    return { verdict: 'unknown', code: 'PEER_UNREACHABLE', reason: `master ${describeReplica(masterReplica)} while ${list(damaged)}` };
  }
  return {
    verdict: 'repairable',
    code: 'REPAIRABLE',
    reason: `slave ${list(damaged)}; master ${master} and ${healthy.length} of ${replicas.length} replicas are healthy`,
  };
}

function masterFromRoles(replicas: readonly ReplicaState[]): PeerId | null {
  const masters = replicas.filter((r) => r.role === 'master');
  return masters.length === 1 ? (masters[0] as ReplicaState).peer : null;
}
