// Specification of the native probe against an in-memory meta2 model: DB_HAS first, DB_PGET
// LOCAL only where the file exists, DB_STATUS last and only when the role is needed; 431 is a
// missing base and 511 a corrupt one, told apart without inference; the classification and the
// verdict are the proxy probe's own.
import { describe, expect, it } from 'vitest';
import { OioPeerStatusError, OioTimeoutError, OioUnreachableError } from '../../src/oio/errors.js';
import type { AdminTable, CallOptions, ContainerRef, PeerAnswer, PeerId, ReplicaReadApi } from '../../src/oio/types.js';
import { classifyReplica } from '../../src/probe/classify.js';
import { probeContainerNative } from '../../src/probe/probe-native.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';
import { FakeProxy } from '../helpers/fake-proxy.js';
import { CID, EMPTY_TABLE, healthyTable, P1, P2, P3, REF, without } from '../helpers/tables.js';

type State = 'ok' | 'missing' | 'corrupt' | 'down' | 'slow';

/** Native answers of three meta2 services, recording every call in order. */
class FakeNative implements ReplicaReadApi {
  readonly calls: string[] = [];
  readonly state = new Map<PeerId, State>([[P1, 'ok'], [P2, 'ok'], [P3, 'ok']]);
  readonly tables = new Map<PeerId, AdminTable>();
  master: PeerId = P2;

  private reach(peer: PeerId, what: string, opts?: CallOptions): void {
    this.calls.push(`${what} ${peer}${opts?.reqId ? ` ${opts.reqId}` : ''}`);
    const s = this.state.get(peer);
    if (s === 'down') throw new OioUnreachableError('connect ECONNREFUSED', { route: `native/${what}`, peer });
    if (s === 'slow') throw new OioTimeoutError('no reply before the deadline', { route: `native/${what}`, peer });
  }

  async has(_ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<PeerAnswer<string>> {
    this.reach(peer, 'DB_HAS', opts);
    if (this.state.get(peer) === 'missing') return { peer, status: 431, message: 'Container not found : (2) No such file or directory', body: '' };
    return { peer, status: 200, message: 'OK', body: `/x/${CID}.1.meta2:1` };
  }

  async getProperties(_ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<AdminTable> {
    this.reach(peer, 'DB_PGET', opts);
    const s = this.state.get(peer);
    if (s === 'missing') throw new OioPeerStatusError('431', { route: 'native/DB_PGET', peer, oioStatus: 431 });
    if (s === 'corrupt') throw new OioPeerStatusError('511', { route: 'native/DB_PGET', peer, oioStatus: 511 });
    return this.tables.get(peer) ?? healthyTable();
  }

  async status(_ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<PeerAnswer<string>> {
    this.reach(peer, 'DB_STATUS', opts);
    return peer === this.master ? { peer, status: 200, message: 'MASTER', body: '' } : { peer, status: 303, message: this.master, body: '' };
  }
}

const opts = { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId: 'req-1' };

function setup(): { native: FakeNative; proxy: FakeProxy; probe: (o?: object) => ReturnType<typeof probeContainerNative> } {
  const native = new FakeNative();
  const proxy = new FakeProxy();
  return { native, proxy, probe: (o = {}) => probeContainerNative({ replicas: native, proxy }, REF, { ...opts, ...o }) };
}

describe('probeContainerNative', () => {
  it('healthy: locate through the proxy, then DB_HAS and DB_PGET on each peer, no DB_STATUS', async () => {
    const { native, proxy, probe } = setup();
    const report = await probe();
    expect(report.verdict).toBe('healthy');
    expect(proxy.calls.map((c) => c.route)).toEqual(['reference/show']);
    expect(native.calls.filter((c) => c.startsWith('DB_STATUS'))).toEqual([]);
    for (const p of [P1, P2, P3]) {
      const mine = native.calls.filter((c) => c.includes(p));
      expect(mine).toEqual([`DB_HAS ${p} req-1`, `DB_PGET ${p} req-1`]);
    }
    expect(report.requests).toBe(7);
  });

  it('tells a missing base (431) from a corrupt one (511), and asks DB_STATUS last, after every read', async () => {
    const { native, probe } = setup();
    native.state.set(P1, 'missing');
    native.state.set(P3, 'corrupt');
    const report = await probe({ peers: [P1, P2, P3] });
    expect(report.replicas.map((r) => [r.peer, r.health, r.role])).toEqual([
      [P1, 'missing-base', 'slave'], [P2, 'ok', 'master'], [P3, 'corrupt-base', 'slave'],
    ]);
    expect(report.verdict).toBe('unrepairable');
    // No DB_PGET where DB_HAS said there is no file; every DB_STATUS after every read.
    expect(native.calls.filter((c) => c.startsWith(`DB_PGET ${P1}`))).toEqual([]);
    const firstStatus = native.calls.findIndex((c) => c.startsWith('DB_STATUS'));
    expect(native.calls.slice(firstStatus).every((c) => c.startsWith('DB_STATUS'))).toBe(true);
    expect(native.calls.slice(firstStatus)).toHaveLength(3);
  });

  it('a slave without base under a healthy master and quorum is repairable; the master damaged is master-damaged', async () => {
    const { native, probe } = setup();
    native.state.set(P3, 'missing');
    expect((await probe()).verdict).toBe('repairable');
    native.state.set(P3, 'ok');
    native.state.set(P2, 'corrupt');
    const report = await probe();
    expect(report.verdict).toBe('master-damaged');
    expect(report.reason).toContain(`${P2} has a corrupt or unreadable base`);
  });

  it('an empty table read natively is a table without keys (missing-keys), not a hidden error', async () => {
    const { native, probe } = setup();
    native.tables.set(P1, EMPTY_TABLE);
    const report = await probe();
    expect(report.replicas[0]?.health).toBe('missing-keys');
    expect(report.replicas[0]?.missingKeys).toEqual(DEFAULT_REQUIRED_KEYS);
  });

  it('a peer not reached is unseen (unreachable, timeout): nothing is decided about it', async () => {
    const { native, probe } = setup();
    native.state.set(P1, 'down');
    native.state.set(P3, 'slow');
    const report = await probe();
    expect(report.replicas.map((r) => r.health)).toEqual(['unreachable', 'ok', 'timeout']);
    expect(report.verdict).toBe('unknown');
  });

  it('alwaysElection (repair verification) asks DB_STATUS even when every replica is healthy', async () => {
    const { native, probe } = setup();
    const report = await probe({ alwaysElection: true });
    expect(report.election?.master).toBe(P2);
    expect(native.calls.filter((c) => c.startsWith('DB_STATUS'))).toHaveLength(3);
  });

  it('a missing key read natively is the same finding as through the proxy', async () => {
    const { native, probe } = setup();
    native.tables.set(P1, without(healthyTable(), 'sys.m2.ctime'));
    const report = await probe();
    expect(report.verdict).toBe('repairable');
    expect(report.replicas[0]?.missingKeys).toEqual(['sys.m2.ctime']);
  });
});

describe('classifyReplica with native reads', () => {
  const base = { peer: P1, role: 'slave' as const, cid: CID, requiredKeys: DEFAULT_REQUIRED_KEYS };
  const own = (status: number) => new OioPeerStatusError(`answered ${status}`, { route: 'native/DB_PGET', peer: P1, oioStatus: status });
  it.each([
    [431, 'missing-base'],
    [511, 'corrupt-base'],
    [504, 'timeout'],
    [503, 'unreachable'],
    [400, 'unreachable'],
  ] as const)('the peer answering %i is %s', (status, health) => {
    expect(classifyReplica({ ...base, readError: own(status) }).health).toBe(health);
  });

  it('through the proxy, an empty table is still the hidden error it is (corrupt-base)', () => {
    expect(classifyReplica({ ...base, table: EMPTY_TABLE }).health).toBe('corrupt-base');
    expect(classifyReplica({ ...base, table: EMPTY_TABLE, exactRead: true }).health).toBe('missing-keys');
  });
});
