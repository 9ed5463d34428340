// Admin tables and reports for probe and repair tests: a healthy meta2 table as the real
// namespace shows it, and small builders for damaged variants and replica states.
import { baseName, cidFromName } from '../../src/oio/cid.js';
import type { AdminTable } from '../../src/oio/types.js';
import type { ContainerReport, ElectionView, ReplicaHealth, ReplicaState, Role, Verdict } from '../../src/probe/types.js';

export const ACCOUNT = 'ACCT';
export const CONTAINER = 'CT1';
export const CID = cidFromName(ACCOUNT, CONTAINER);
export const REF = { cid: CID, account: ACCOUNT, container: CONTAINER } as const;
export const PEERS = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'] as const;
export const [P1, P2, P3] = PEERS;

/** A healthy table as observed on a real namespace (oio-api.md). */
export function healthyTable(cid: string = CID): AdminTable {
  return {
    properties: {},
    system: {
      schema_version: '1.8',
      'sys.account': ACCOUNT,
      'sys.m2.ctime': '1795580730589743',
      'sys.m2.init': '1',
      'sys.m2.objects': '0',
      'sys.m2.shards': '0',
      'sys.m2.usage': '0',
      'sys.m2.version': '0',
      'sys.name': baseName(cid),
      'sys.ns': 'OPENIO',
      'sys.peers': PEERS.join(','),
      'sys.status': '0',
      'sys.type': 'meta2',
      'sys.user.name': CONTAINER,
      'version:main.admin': '2:0',
      'version:main.aliases': '1:0',
      'version:main.chunks': '1:0',
      'version:main.contents': '1:0',
      'version:main.properties': '1:0',
      'stats.page_count': '20',
    },
  };
}

export function without(table: AdminTable, ...keys: string[]): AdminTable {
  const system = { ...table.system };
  for (const k of keys) delete system[k];
  return { properties: table.properties, system };
}

export function withValues(table: AdminTable, values: Record<string, string>): AdminTable {
  return { properties: table.properties, system: { ...table.system, ...values } };
}

export const EMPTY_TABLE: AdminTable = { properties: {}, system: {} };

/** A replica state for verdict and plan tables. */
export function replica(peer: string, health: ReplicaHealth, role: Role, extra: Partial<ReplicaState> = {}): ReplicaState {
  return {
    peer,
    health,
    role,
    missingKeys: health === 'missing-keys' ? ['sys.m2.ctime'] : [],
    malformedKeys: health === 'malformed-keys' ? ['sys.m2.ctime'] : [],
    ...extra,
  };
}

export function masterView(master: string): ElectionView {
  return { master, masters: [master] };
}

export function report(replicas: ReplicaState[], verdict: Verdict, election?: ElectionView): ContainerReport {
  return {
    ref: REF,
    peers: replicas.map((r) => r.peer),
    replicas,
    ...(election ? { election } : {}),
    verdict,
    reason: `test report (${verdict})`,
    requests: 0,
  };
}
