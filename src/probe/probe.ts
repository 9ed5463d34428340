// Probes one container through the proxy: locate its meta2 peers, read every replica's admin
// table on that very peer, and only when something looks wrong ask `has` and `status` (and
// `debug` when the election is ambiguous). A healthy container costs exactly R+1 proxy requests.
// Never throws: a failed call becomes verdict 'unknown' with the error's code. The election
// judgement is shared with the native probe (probe-native.ts).
import { errorInfo } from '../errors.js';
import type { AdminTable, CallOptions, ContainerRef, ElectionDebug, PeerAnswer, PeerId, ProxyApi } from '../oio/types.js';
import { classifyReplica, containerVerdict, electionView, electionViewFromDebug, roleFromStatus } from './classify.js';
import type { ContainerReport, ElectionView, ReplicaState, Role } from './types.js';

export interface ProbeOptions {
  readonly requiredKeys: readonly string[];
  /** Ask `has` and `status` even when every replica looks healthy (repair verification). */
  readonly alwaysElection?: boolean;
  readonly reqId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * The container's peers when the caller already located it (the sweep does, to gate per
   * meta2 service): the probe then skips its own locate, keeping a healthy probe at R+1 requests.
   */
  readonly peers?: readonly PeerId[] | undefined;
  /** See ReplicaInput.emptyMayBeUnreachable (src/oio/versions.ts: unreachableReadIs503 false). */
  readonly emptyMayBeUnreachable?: boolean;
}

/** What was read of one replica: its table, or why not, and its `has` answer when asked. */
export interface Read {
  readonly peer: PeerId;
  readonly table?: AdminTable;
  readonly error?: unknown;
  readonly has?: PeerAnswer<string>;
}

export function failedReport(ref: ContainerRef, peers: readonly PeerId[], requests: number, err: unknown, what: string): ContainerReport {
  const error = errorInfo(err);
  return {
    ref,
    peers,
    replicas: [],
    verdict: 'unknown',
    code: 'PROBE_FAILED',
    reason: `${what} failed: ${error.code}: ${error.message}`,
    error,
    requests,
  };
}

/**
 * The opening of both probes: the container's peers, the caller's or located (one request), with
 * the requests made; or the report when locate failed or found no peer.
 */
export async function probePeers(
  proxy: Pick<ProxyApi, 'locate'>, ref: ContainerRef, opts: ProbeOptions, call: CallOptions,
): Promise<{ readonly peers: readonly PeerId[]; readonly requests: number } | { readonly report: ContainerReport }> {
  let requests = 0;
  let peers: readonly PeerId[];
  try {
    opts.signal?.throwIfAborted();
    if (opts.peers) {
      peers = opts.peers;
    } else {
      requests++;
      peers = await proxy.locate(ref, call);
    }
  } catch (err) {
    return { report: failedReport(ref, [], requests, err, 'locate') };
  }
  if (peers.length === 0) {
    return { report: { ref, peers, replicas: [], verdict: 'unknown', code: 'WAIT_NO_PEERS', reason: 'no meta2 peer was located for this container', requests } };
  }
  return { peers, requests };
}

/** Probes one container; see the module comment. Never rejects. */
export async function probeContainer(proxy: ProxyApi, ref: ContainerRef, opts: ProbeOptions): Promise<ContainerReport> {
  const call: CallOptions = { reqId: opts.reqId, signal: opts.signal };
  // The sweep hands its located peers over: no locate to wait for then.
  const given = opts.peers;
  const located = given !== undefined && given.length > 0 && opts.signal?.aborted !== true ? { peers: given, requests: 0 } : await probePeers(proxy, ref, opts, call);
  if ('report' in located) return located.report;
  const { peers } = located;
  let requests = located.requests;
  try {
    requests += peers.length;
    const reads = await Promise.all(
      peers.map((peer) =>
        proxy.getProperties(ref, peer, call).then(
          (table): Read => ({ peer, table }),
          (error: unknown): Read => ({ peer, error }),
        ),
      ),
    );
    // Classify once without the election: the cheap path stops here when all is well.
    const first = reads.map((r) => classifyRead(ref, r, opts.requiredKeys));
    if (first.every((r) => r.health === 'ok') && !opts.alwaysElection) {
      const { verdict, code, reason } = containerVerdict(first);
      return { ref, peers, replicas: first, verdict, code, reason, requests };
    }
    return await probeElection(proxy, ref, peers, reads, opts, call, requests);
  } catch (err) {
    // Only a bug or an abort lands here (each read's failure is caught above).
    return failedReport(ref, peers, requests, err, 'probe');
  }
}

/** One replica's health from its read; `exact` when the read shows the peer's own errors (native). */
export function classifyRead(ref: ContainerRef, read: Read, requiredKeys: readonly string[], exact = false, emptyMayBeUnreachable = false): ReplicaState {
  return classifyReplica({
    peer: read.peer,
    table: read.table,
    readError: read.error,
    has: read.has,
    role: 'unknown',
    cid: ref.cid,
    requiredKeys,
    exactRead: exact,
    emptyMayBeUnreachable,
  });
}

export async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

/** The suspicious path: `has` and `status` for every peer at once, `debug` if status is ambiguous. */
async function probeElection(
  proxy: ProxyApi,
  ref: ContainerRef,
  peers: readonly PeerId[],
  reads: readonly Read[],
  opts: ProbeOptions,
  call: CallOptions,
  requestsSoFar: number,
): Promise<ContainerReport> {
  const [has, status] = await Promise.all([settle(proxy.has(ref, peers, call)), settle(proxy.status(ref, peers, call))]);
  const hasOf = new Map((has.value ?? []).map((a) => [a.peer, a]));
  const withHas = reads.map((r): Read => {
    const answer = hasOf.get(r.peer);
    return answer ? { ...r, has: answer } : r;
  });
  return judgeElection(proxy, ref, peers, withHas, status, { opts, call, requests: requestsSoFar + 2, exact: false, hasError: has.error });
}

export interface JudgeContext {
  readonly opts: ProbeOptions;
  readonly call: CallOptions;
  /** Requests made so far (debug adds one). */
  readonly requests: number;
  /** The reads show each peer's own errors (native): an empty table is not a hidden error. */
  readonly exact: boolean;
  /** Why `has` failed as a whole (proxy), if it did. */
  readonly hasError?: unknown;
}

/**
 * The election view from the status answers (and `debug` through the proxy when they are
 * ambiguous), each replica's health and role, and the verdict. Shared by both transports.
 */
export async function judgeElection(
  proxy: ProxyApi,
  ref: ContainerRef,
  peers: readonly PeerId[],
  reads: readonly Read[],
  status: { value?: PeerAnswer<string>[]; error?: unknown },
  ctx: JudgeContext,
): Promise<ContainerReport> {
  const { opts, call } = ctx;
  let requests = ctx.requests;
  const statusOf = new Map((status.value ?? []).map((a) => [a.peer, a]));
  let election: ElectionView | undefined;
  let roleOf = (peer: PeerId): Role => roleFromStatus(statusOf.get(peer));
  if (status.value) {
    election = electionView(status.value);
    if (election.problem) {
      requests++;
      const debug = await settle<PeerAnswer<ElectionDebug | null>[]>(proxy.debug(ref, peers, call));
      const fromDebug = debug.value ? electionViewFromDebug(debug.value) : undefined;
      const debugOf = new Map((debug.value ?? []).map((a) => [a.peer, a]));
      // Trust debug only when it is unambiguous AND accounts for every peer that answered
      // master to status (now MASTER, or SLAVE of the new master): debug does not list FAILED
      // or NONE members, and a peer that claimed mastership a moment ago and vanished from
      // debug may still be master when a sync arrives. Otherwise keep status's problem.
      const claimants = election.masters;
      const accounted = claimants.every((p) => ['master', 'slave'].includes(roleFromDebug(debugOf.get(p))));
      if (fromDebug && !fromDebug.problem && accounted) {
        election = fromDebug;
        roleOf = (peer) => roleFromDebug(debugOf.get(peer));
      }
    }
  }
  const replicas = reads.map((r) => ({ ...classifyRead(ref, r, opts.requiredKeys, ctx.exact, opts.emptyMayBeUnreachable), role: roleOf(r.peer) }));
  const { verdict, code, reason } = containerVerdict(replicas, election);
  const failed = status.error ?? ctx.hasError;
  const error = failed !== undefined && verdict === 'unknown' ? { error: errorInfo(failed) } : {};
  const why = status.error !== undefined && verdict === 'unknown' ? `${reason} (status failed: ${errorInfo(status.error).message})` : reason;
  return { ref, peers, replicas, ...(election ? { election } : {}), verdict, code, reason: why, ...error, requests };
}

function roleFromDebug(answer: PeerAnswer<ElectionDebug | null> | undefined): Role {
  if (!answer || answer.status !== 200) return 'unknown';
  if (answer.body?.state === 'MASTER') return 'master';
  if (answer.body?.state === 'SLAVE') return 'slave';
  return 'none';
}
