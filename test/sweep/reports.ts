// Builders of probe reports for sweep tests.
import type { ContainerRef, PeerId } from '../../src/oio/types.js';
import type { ContainerReport, ReplicaHealth, Verdict } from '../../src/probe/types.js';

export function report(ref: ContainerRef, verdict: Verdict, healths: readonly ReplicaHealth[], peers?: readonly PeerId[]): ContainerReport {
  const ps = peers ?? healths.map((_, i) => `10.0.0.${i + 1}:6120`);
  return {
    ref,
    peers: ps,
    replicas: healths.map((health, i) => ({
      peer: ps[i] ?? `p${i}`,
      health,
      role: 'unknown',
      missingKeys: health === 'missing-keys' ? ['sys.m2.ctime'] : [],
      malformedKeys: [],
    })),
    verdict,
    reason: `test: ${verdict}`,
    requests: 3,
  };
}

export const healthy = (ref: ContainerRef, peers?: readonly PeerId[]) => report(ref, 'healthy', ['ok', 'ok', 'ok'], peers);
export const damaged = (ref: ContainerRef, peers?: readonly PeerId[]) => report(ref, 'repairable', ['ok', 'ok', 'missing-keys'], peers);
export const unrepairable = (ref: ContainerRef) => report(ref, 'unrepairable', ['missing-base', 'corrupt-base', 'ok']);
/** Not judged: one replica unseen (e.g. its meta2 service down), no probe error. */
export const unseen = (ref: ContainerRef, peers?: readonly PeerId[]) => report(ref, 'unknown', ['ok', 'ok', 'unreachable'], peers);
