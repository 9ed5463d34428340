// Proof of a repair step, pure: the replicas as read before a step and as re-read after it →
// per-peer evidence and whether the step did what its plan expected. A 200 or 204 from the proxy
// proves nothing (a set_properties can land on a slave, a sync can copy nothing): only what the
// replicas hold when re-read counts. The executor (execute.ts) does the reading.
import type { PeerId } from '../oio/types.js';
import type { ContainerReport, ElectionView, ReplicaState, Role } from '../probe/types.js';
import type { IneffectiveAction, PeerEvidence, ReplicaSnapshot, StepResultStatus } from './types.js';

export const VERSION_KEY = 'version:main.admin';

/** What a step's proof concluded. */
export interface Proof {
  readonly status: StepResultStatus;
  readonly detail: string;
  readonly evidence: readonly PeerEvidence[];
  readonly ineffective?: readonly IneffectiveAction[];
}

function snapshot(r: ReplicaState, keys: readonly string[]): ReplicaSnapshot {
  const values: Record<string, string | null> = {};
  for (const k of keys) values[k] = r.table?.system[k] ?? null;
  return { health: r.health, role: r.role, keys: values };
}

/** Evidence for `peers`: their replica before (from `before`) and re-read (from `after`). */
export function evidenceOf(before: ContainerReport, after: ContainerReport, peers: readonly PeerId[], keys: readonly string[]): PeerEvidence[] {
  return peers.map((peer) => {
    const b = before.replicas.find((r) => r.peer === peer);
    const a = after.replicas.find((r) => r.peer === peer);
    return {
      peer,
      before: b ? snapshot(b, keys) : { role: 'unknown', keys: {} },
      ...(a ? { after: snapshot(a, keys) } : {}),
    };
  });
}

/** Evidence of an election step: each peer's role before and after (no keys). */
export function roleEvidence(peers: readonly PeerId[], before: (p: PeerId) => Role, after: (p: PeerId) => Role): PeerEvidence[] {
  return peers.map((peer) => ({ peer, before: { role: before(peer), keys: {} }, after: { role: after(peer), keys: {} } }));
}

/** A peer's role in an election view: the single master, or a slave of it, or unknown. */
export function roleIn(view: ElectionView | undefined, peer: PeerId): Role {
  if (!view) return 'unknown';
  if (view.master === peer || view.masters.includes(peer)) return 'master';
  return view.master ? 'slave' : 'unknown';
}

/** "a=1, b absent" for the keys of one snapshot. */
function shown(s: ReplicaSnapshot | undefined, keys: readonly string[]): string {
  if (!s) return 'not re-read';
  return keys.map((k) => (s.keys[k] === null || s.keys[k] === undefined ? `${k} absent` : `${k}=${s.keys[k]}`)).join(', ');
}

function keysInQuestion(r: ReplicaState | undefined): string[] {
  return r ? [...new Set([...r.missingKeys, ...r.malformedKeys])].sort() : [];
}

/**
 * A sync is done when every synced slave is re-read healthy. A slave still damaged is an
 * ineffective sync of that slave (the next plans do not sync it again).
 */
export function judgeSync(before: ContainerReport, after: ContainerReport, targets: readonly PeerId[], round: number): Proof {
  const keys = [...new Set(targets.flatMap((p) => keysInQuestion(before.replicas.find((r) => r.peer === p))))].sort();
  const evidence = evidenceOf(before, after, targets, keys);
  const stillBad = evidence.filter((e) => e.after?.health !== 'ok');
  const describe = (e: PeerEvidence): string =>
    `${e.peer} ${e.before.health ?? 'unknown'} → ${e.after?.health ?? 'not re-read'}${keys.length > 0 ? ` (${shown(e.after, keys)})` : ''}`;
  if (stillBad.length === 0) {
    return { status: 'done', evidence, detail: `re-read healthy after the sync: ${evidence.map(describe).join('; ')}` };
  }
  const ineffective = stillBad.map((e): IneffectiveAction => ({ kind: 'sync', peer: e.peer, round, why: `re-read after the sync: ${describe(e)}` }));
  return { status: 'no-effect', evidence, ineffective, detail: `synced slave(s) not healthy when re-read: ${stillBad.map(describe).join('; ')}` };
}

function versionNumber(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  const n = Number(v.split(':')[0]);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A write-back through the master is done when the master, re-read, holds every written value
 * AND its version:main.admin went up (a replicated write through the master bumps it; a local
 * write on one peer does not), and every other replica re-read holds the values too.
 */
export function judgeWrite(
  before: ContainerReport,
  after: ContainerReport,
  master: PeerId,
  values: Readonly<Record<string, string>>,
  round: number,
): Proof {
  const written = Object.keys(values).sort();
  const keys = [...written, VERSION_KEY];
  const peers = before.peers.length > 0 ? before.peers : before.replicas.map((r) => r.peer);
  const evidence = evidenceOf(before, after, peers, keys);
  const holds = (e: PeerEvidence | undefined): boolean => written.every((k) => e?.after?.keys[k] === values[k]);
  const m = evidence.find((e) => e.peer === master);
  const v0 = versionNumber(m?.before.keys[VERSION_KEY]);
  const v1 = versionNumber(m?.after?.keys[VERSION_KEY]);
  const bumped = v0 !== undefined && v1 !== undefined && v1 > v0;
  const versionText = `${VERSION_KEY} ${m?.before.keys[VERSION_KEY] ?? 'absent'} → ${m?.after?.keys[VERSION_KEY] ?? (m?.after ? 'absent' : 'not re-read')}`;
  if (!holds(m) || !bumped) {
    const lacks = holds(m) ? `holds ${written.join(', ')} but its ${versionText}: not a replicated write through the master` : `${shown(m?.after, written)}, ${versionText}`;
    const why = `master ${master} re-read: ${lacks}`;
    return {
      status: 'no-effect',
      evidence,
      ineffective: [{ kind: 'set-properties', peer: master, round, why }],
      detail: `the write did not go through the master (the answer was a success): ${why}`,
    };
  }
  const lacking = evidence.filter((e) => e.peer !== master && e.after !== undefined && !holds(e));
  const slaves = lacking.length === 0 ? 'every other replica holds them too' : `but ${lacking.map((e) => `${e.peer} (${shown(e.after, written)})`).join(', ')} still lack(s) them: the next round looks again`;
  return { status: 'done', evidence, detail: `master ${master} re-read holds ${shown(m?.after, written)} and its ${versionText}; ${slaves}` };
}
