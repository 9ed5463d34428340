// Probes one container with the native transport: the peers come from the proxy (locate, or the
// caller), then each replica is read on its own meta2: DB_HAS first (a stat, it opens nothing),
// DB_PGET LOCAL only where the file exists (200 table, 431 missing, 511 corrupt, told apart
// without inference), and DB_STATUS last and only when the role is needed, because it can start
// an election and a restore. The verdict is decided by the same pure classification as the proxy
// probe (classify.ts, judgeElection); never throws.
import type { CallOptions, ContainerRef, PeerAnswer, PeerId, ProxyApi, ReplicaReadApi } from '../oio/types.js';
import { type ProbeOptions, type Read, classifyRead, failedReport, judgeElection, probePeers, settle } from './probe.js';
import { containerVerdict } from './classify.js';
import type { ContainerReport } from './types.js';

export interface NativeProbeDeps {
  /** The per-replica reads (NativeReader). */
  readonly replicas: ReplicaReadApi;
  /** locate, and `debug` when the election is ambiguous (there is no native equivalent). */
  readonly proxy: ProxyApi;
}

/** DB_HAS then, when the file exists, DB_PGET LOCAL, on one peer. Counts its requests. */
async function readReplica(deps: NativeProbeDeps, ref: ContainerRef, peer: PeerId, call: CallOptions, count: () => void): Promise<Read> {
  let has: PeerAnswer<string>;
  try {
    count();
    has = await deps.replicas.has(ref, peer, call);
  } catch (error) {
    return { peer, error };
  }
  if (has.status !== 200) return { peer, has };
  try {
    count();
    return { peer, has, table: await deps.replicas.getProperties(ref, peer, call) };
  } catch (error) {
    return { peer, has, error };
  }
}

/** Probes one container over the native protocol; see the module comment. Never rejects. */
export async function probeContainerNative(deps: NativeProbeDeps, ref: ContainerRef, opts: ProbeOptions): Promise<ContainerReport> {
  const call: CallOptions = { ...(opts.reqId ? { reqId: opts.reqId } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const located = await probePeers(deps.proxy, ref, opts, call);
  if ('report' in located) return located.report;
  const { peers } = located;
  let requests = located.requests;
  const count = (): void => { requests++; };
  try {
    const reads = await Promise.all(peers.map((peer) => readReplica(deps, ref, peer, call, count)));
    const first = reads.map((r) => classifyRead(ref, r, opts.requiredKeys, true));
    if (first.every((r) => r.health === 'ok') && !opts.alwaysElection) {
      const { verdict, code, reason } = containerVerdict(first);
      return { ref, peers, replicas: first, verdict, code, reason, requests };
    }
    // The role is needed: DB_STATUS last, once every replica has been read.
    const answers = await Promise.all(peers.map((peer) => {
      count();
      return settle(deps.replicas.status(ref, peer, call));
    }));
    const seen = answers.flatMap((a) => (a.value ? [a.value] : []));
    const status = seen.length > 0 ? { value: seen } : { error: answers.find((a) => a.error !== undefined)?.error };
    return await judgeElection(deps.proxy, ref, peers, reads, status, { opts, call, requests, exact: true });
  } catch (err) {
    return failedReport(ref, peers, requests, err, 'probe');
  }
}
