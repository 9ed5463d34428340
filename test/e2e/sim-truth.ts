// What the simulator knows and the daemon must find out: the namespace's containers (listed
// through the account service, as the daemon does), the injected faults grouped per container,
// and whether a container's ground truth is healthy. The e2e tests compare these with the
// daemon's journal, metrics and logs.
import type { InjectedFault, Simulator } from '../../src/sim/index.js';
import type { ContainerTruth } from '../../src/sim/model.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';

export interface NamedContainer {
  readonly account: string;
  readonly container: string;
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Every container of the simulated namespace, from the account service's listings. */
export async function listNamespace(sim: Simulator): Promise<NamedContainer[]> {
  const out: NamedContainer[] = [];
  let marker = '';
  const accounts: string[] = [];
  for (;;) {
    const page = await getJson(`${sim.url}/v1.0/account/list?limit=10000&marker=${encodeURIComponent(marker)}`);
    const ids = (page['listing'] as { id: string }[]).map((a) => a.id);
    accounts.push(...ids);
    if (!page['truncated'] || ids.length === 0) break;
    marker = ids[ids.length - 1] as string;
  }
  for (const account of accounts) {
    let cmarker = '';
    for (;;) {
      const page = await getJson(`${sim.url}/v1.0/account/containers?id=${encodeURIComponent(account)}&limit=10000&marker=${encodeURIComponent(cmarker)}`);
      const rows = page['listing'] as [string, ...unknown[]][];
      for (const row of rows) out.push({ account, container: row[0] });
      if (!page['truncated'] || rows.length === 0) break;
      cmarker = rows[rows.length - 1]?.[0] as string;
    }
  }
  return out;
}

export type DamageClass = 'slave' | 'master' | 'unrepairable';

/** The faults of one damaged container and what the daemon should make of them. */
export interface DamagedContainer {
  readonly cid: string;
  readonly account: string;
  readonly container: string;
  readonly faults: readonly InjectedFault[];
  readonly damage: DamageClass;
}

/** Groups replica faults by container: two damaged replicas out of three leave no healthy quorum. */
export function damagedContainers(faults: readonly InjectedFault[]): DamagedContainer[] {
  const byCid = new Map<string, InjectedFault[]>();
  for (const f of faults) {
    if (f.cid === undefined) continue;
    const list = byCid.get(f.cid);
    if (list) list.push(f);
    else byCid.set(f.cid, [f]);
  }
  return [...byCid.entries()].map(([cid, list]) => {
    const first = list[0] as InjectedFault;
    const damage: DamageClass = list.length >= 2 ? 'unrepairable' : first.role === 'master' ? 'master' : 'slave';
    return { cid, account: first.account as string, container: first.container as string, faults: list, damage };
  });
}

/** The health the probe must report for a replica with this fault. */
export function expectedHealth(fault: InjectedFault): string {
  switch (fault.kind) {
    case 'drop-keys':
    case 'truncate-base':
      return 'missing-keys';
    case 'malform-key':
      return 'malformed-keys';
    case 'missing-base':
      return 'missing-base';
    case 'corrupt-base':
      return 'corrupt-base';
    default:
      throw new Error(`not a replica fault: ${fault.kind}`);
  }
}

/**
 * Why a container's ground truth is not healthy (empty when it is): one master, every replica
 * present with every required key, all agreeing on sys.m2.ctime, no resync still in flight.
 */
export function truthProblems(truth: ContainerTruth | undefined, requiredKeys: readonly string[] = DEFAULT_REQUIRED_KEYS): string[] {
  if (!truth) return ['unknown to the simulator'];
  const problems: string[] = [];
  if (truth.master === null) problems.push('no single master');
  const ctimes = new Set<string | undefined>();
  for (const r of truth.replicas) {
    if (r.base !== 'ok') problems.push(`${r.peer}: base ${r.base}`);
    const missing = requiredKeys.filter((k) => r.admin[k] === undefined);
    if (missing.length > 0) problems.push(`${r.peer}: lacks ${missing.join(',')}`);
    if (r.role === 'none') problems.push(`${r.peer}: not in the election`);
    if (r.syncPending) problems.push(`${r.peer}: resync in flight`);
    ctimes.add(r.admin['sys.m2.ctime']);
  }
  if (ctimes.size > 1) problems.push(`replicas disagree on sys.m2.ctime: ${[...ctimes].join(' ')}`);
  return problems;
}
