// Specification of the pure classification: replica health, election view and container verdict.
import { describe, expect, it } from 'vitest';
import type { ReasonCode } from '../../src/decisions/codes.js';
import { OioHttpError, OioBadAnswerError, OioTimeoutError, OioUnavailableError, OioUnreachableError } from '../../src/oio/errors.js';
import type { PeerAnswer } from '../../src/oio/types.js';
import { classifyReplica, containerVerdict, electionView, electionViewFromDebug, type ReplicaInput } from '../../src/probe/classify.js';
import { DEFAULT_REQUIRED_KEYS, REPLICA_HEALTHS, VERDICTS, type ReplicaHealth, type Verdict } from '../../src/probe/types.js';
import { CID, EMPTY_TABLE, healthyTable, masterView, P1, P2, P3, replica, withValues, without } from '../helpers/tables.js';

const route = 'admin/get_properties';

function has(status: number, message = ''): PeerAnswer<string> {
  return { peer: P1, status, message, body: '' };
}

function input(extra: Partial<ReplicaInput>): ReplicaInput {
  return { peer: P1, role: 'slave', cid: CID, requiredKeys: DEFAULT_REQUIRED_KEYS, ...extra };
}

describe('classifyReplica', () => {
  const cases: { name: string; in: Partial<ReplicaInput>; health: ReplicaHealth; missing?: string[]; malformed?: string[] }[] = [
    { name: 'a complete table is ok', in: { table: healthyTable() }, health: 'ok' },
    { name: 'a complete table with has 200 is ok', in: { table: healthyTable(), has: has(200, 'OK') }, health: 'ok' },
    { name: 'a refused connection is unreachable', in: { readError: new OioUnreachableError('ECONNREFUSED', { route }) }, health: 'unreachable' },
    { name: "the proxy's 503 \"No service replied\" is unreachable", in: { readError: new OioUnavailableError('No service replied (last error: (2) Connection refused)', { route, httpStatus: 503 }) }, health: 'unreachable' },
    { name: 'a proxy deadline is a timeout', in: { readError: new OioUnavailableError('Deadline reached: Timeout (1.9999s) to 127.0.0.1:6198', { route, httpStatus: 503 }) }, health: 'timeout' },
    { name: 'a client timeout is a timeout', in: { readError: new OioTimeoutError('headers timeout', { route }) }, health: 'timeout' },
    { name: 'the read error wins over has', in: { readError: new OioTimeoutError('t', { route }), has: has(431) }, health: 'timeout' },
    { name: 'has 431 is a missing base (behind 200 + empty maps)', in: { table: EMPTY_TABLE, has: has(431, 'Container not found : (2) No such file or directory') }, health: 'missing-base' },
    { name: 'has 511 is a corrupt base', in: { table: EMPTY_TABLE, has: has(511, 'corrupt') }, health: 'corrupt-base' },
    { name: 'has 431 wins over a non-network read error', in: { readError: new OioBadAnswerError('bad json', { route }), has: has(431) }, health: 'missing-base' },
    { name: 'has code 2 (connection refused) is unreachable', in: { table: healthyTable(), has: has(2, 'Connection refused') }, health: 'unreachable' },
    { name: 'has code 8 (service marked down) is unreachable', in: { table: healthyTable(), has: has(8, 'Request avoided') }, health: 'unreachable' },
    { name: 'has code 7 (read timeout) is a timeout', in: { table: healthyTable(), has: has(7, 'Timeout (30.0000s)') }, health: 'timeout' },
    { name: 'any other read error is unreachable (not seen)', in: { readError: new OioHttpError('internal', { route, httpStatus: 500 }) }, health: 'unreachable' },
    { name: 'an empty system map with has 200 is a corrupt base', in: { table: EMPTY_TABLE, has: has(200, 'OK') }, health: 'corrupt-base' },
    { name: 'an empty system map without has is a corrupt base', in: { table: EMPTY_TABLE }, health: 'corrupt-base' },
    { name: 'the seed: a table without sys.m2.ctime lacks that key', in: { table: without(healthyTable(), 'sys.m2.ctime') }, health: 'missing-keys', missing: ['sys.m2.ctime'] },
    {
      name: 'a truncated base lacks the creation keys',
      in: { table: without(healthyTable(), 'sys.m2.ctime', 'sys.account', 'sys.m2.init', 'sys.m2.objects', 'sys.m2.usage', 'sys.m2.version', 'sys.ns', 'sys.user.name') },
      health: 'missing-keys',
      missing: ['sys.account', 'sys.m2.ctime', 'sys.m2.init', 'sys.m2.objects', 'sys.m2.usage', 'sys.m2.version', 'sys.ns', 'sys.user.name'],
    },
    {
      name: 'missing keys take precedence but malformed ones are listed too',
      in: { table: withValues(without(healthyTable(), 'sys.account'), { 'sys.m2.init': '0' }) },
      health: 'missing-keys', missing: ['sys.account'], malformed: ['sys.m2.init'],
    },
    { name: 'a ctime in seconds is malformed', in: { table: withValues(healthyTable(), { 'sys.m2.ctime': '1507817632' }) }, health: 'malformed-keys', malformed: ['sys.m2.ctime'] },
    { name: 'a non-numeric ctime is malformed', in: { table: withValues(healthyTable(), { 'sys.m2.ctime': 'abc' }) }, health: 'malformed-keys', malformed: ['sys.m2.ctime'] },
    { name: 'sys.m2.init other than "1" is malformed', in: { table: withValues(healthyTable(), { 'sys.m2.init': '0' }) }, health: 'malformed-keys', malformed: ['sys.m2.init'] },
    { name: "sys.name of another base is malformed", in: { table: withValues(healthyTable(), { 'sys.name': `${CID.toLowerCase()}.1` }) }, health: 'malformed-keys', malformed: ['sys.name'] },
    { name: 'sys.type other than meta2 is malformed', in: { table: withValues(healthyTable(), { 'sys.type': 'meta1' }) }, health: 'malformed-keys', malformed: ['sys.type'] },
    { name: 'version:main.admin not N:M is malformed', in: { table: withValues(healthyTable(), { 'version:main.admin': '2' }) }, health: 'malformed-keys', malformed: ['version:main.admin'] },
    {
      name: 'non-integer counters are malformed',
      in: { table: withValues(healthyTable(), { 'sys.m2.objects': 'x', 'sys.m2.usage': '1.5', 'sys.m2.version': '' }) },
      health: 'malformed-keys', malformed: ['sys.m2.objects', 'sys.m2.usage', 'sys.m2.version'],
    },
  ];

  it.each(cases)('$name', (c) => {
    const r = classifyReplica(input(c.in));
    expect(r.health).toBe(c.health);
    expect(r.peer).toBe(P1);
    expect(r.role).toBe('slave');
    expect(r.missingKeys).toEqual(c.missing ?? []);
    expect(r.malformedKeys).toEqual(c.malformed ?? []);
    if (c.health !== 'ok') expect(r.detail).toBeTruthy();
  });

  it('covers every replica health', () => {
    expect(new Set(cases.map((c) => c.health))).toEqual(new Set(REPLICA_HEALTHS));
  });

  it('accepts a lowercase CID for sys.name', () => {
    expect(classifyReplica(input({ cid: CID.toLowerCase(), table: healthyTable() })).health).toBe('ok');
  });

  it('checks only the required keys given', () => {
    const r = classifyReplica(input({ table: without(healthyTable(), 'sys.peers'), requiredKeys: ['sys.m2.ctime'] }));
    expect(r.health).toBe('ok');
  });

  it('keeps the table read from the peer', () => {
    const table = healthyTable();
    expect(classifyReplica(input({ table })).table).toBe(table);
  });
});

describe('electionView', () => {
  const st = (peer: string, status: number, message: string): PeerAnswer<string> => ({ peer, status, message, body: '' });

  it('finds the single master named by every slave', () => {
    expect(electionView([st(P1, 303, P2), st(P2, 200, 'OK'), st(P3, 303, P2)])).toEqual({ master: P2, masters: [P2] });
  });

  it('ignores peers that did not answer', () => {
    expect(electionView([st(P1, 2, 'refused'), st(P2, 200, 'OK'), st(P3, 303, P2)]).master).toBe(P2);
  });

  it('reports no master when nobody answers 200, even if slaves name one', () => {
    const v = electionView([st(P1, 303, P2), st(P2, 2, 'refused'), st(P3, 303, P2)]);
    expect(v).toMatchObject({ master: null, masters: [], problem: 'no-master' });
    expect(v.detail).toContain(P2);
  });

  it('reports several 200s as multi-master', () => {
    expect(electionView([st(P1, 200, 'OK'), st(P2, 200, 'OK'), st(P3, 303, P2)])).toMatchObject({ master: null, masters: [P1, P2], problem: 'multi-master' });
  });

  it('reports a slave naming another master as multi-master', () => {
    const v = electionView([st(P1, 303, P3), st(P2, 200, 'OK'), st(P3, 303, P2)]);
    expect(v).toMatchObject({ master: null, problem: 'multi-master' });
    expect(v.detail).toContain(`${P1} names ${P3}`);
  });

  it('reads the same view from debug', () => {
    const dbg = (peer: string, state: string, masterUrl: string | null) =>
      ({ peer, status: 200, message: 'OK', body: { state, masterUrl, pipefrom: 0, log: [] } });
    expect(electionViewFromDebug([dbg(P1, 'SLAVE', P2), dbg(P2, 'MASTER', null), dbg(P3, 'SLAVE', P2)])).toEqual({ master: P2, masters: [P2] });
    expect(electionViewFromDebug([dbg(P1, 'NONE', null)]).problem).toBe('no-master');
  });
});

describe('containerVerdict', () => {
  const cases: { name: string; replicas: ReturnType<typeof replica>[]; election?: ReturnType<typeof masterView>; verdict: Verdict; code: ReasonCode; mentions: string[] }[] = [
    { name: 'all ok is healthy (no election needed)', replicas: [replica(P1, 'ok', 'unknown'), replica(P2, 'ok', 'unknown'), replica(P3, 'ok', 'unknown')], verdict: 'healthy', code: 'HEALTHY', mentions: ['3'] },
    { name: 'no damage but one peer unreachable is unknown', replicas: [replica(P1, 'unreachable', 'unknown'), replica(P2, 'ok', 'unknown'), replica(P3, 'ok', 'unknown')], verdict: 'unknown', code: 'PEER_UNREACHABLE', mentions: [P1, 'unreachable'] },
    { name: 'no damage but one peer timing out is unknown', replicas: [replica(P1, 'timeout', 'unknown'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')], election: masterView(P2), verdict: 'unknown', code: 'PEER_UNREACHABLE', mentions: [P1, 'timed out'] },
    { name: 'a slave lacking sys.m2.ctime is repairable', replicas: [replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')], election: masterView(P2), verdict: 'repairable', code: 'REPAIRABLE', mentions: [P1, 'sys.m2.ctime', P2] },
    { name: 'a slave without base is repairable', replicas: [replica(P1, 'missing-base', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')], election: masterView(P2), verdict: 'repairable', code: 'REPAIRABLE', mentions: [P1, 'no base'] },
    { name: 'a damaged slave beside an unreachable one is still repairable with a healthy quorum', replicas: [replica(P1, 'corrupt-base', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave'), replica('127.0.0.1:6134', 'unreachable', 'unknown'), replica('127.0.0.1:6135', 'ok', 'slave')], election: masterView(P2), verdict: 'repairable', code: 'REPAIRABLE', mentions: [P1] },
    { name: 'a master lacking sys.m2.ctime is master-damaged', replicas: [replica(P1, 'ok', 'slave'), replica(P2, 'missing-keys', 'master'), replica(P3, 'ok', 'slave')], election: masterView(P2), verdict: 'master-damaged', code: 'MASTER_DAMAGED', mentions: [P2, 'sys.m2.ctime', P1, P3] },
    { name: 'a master with malformed keys is master-damaged', replicas: [replica(P1, 'ok', 'slave'), replica(P2, 'malformed-keys', 'master'), replica(P3, 'ok', 'slave')], election: masterView(P2), verdict: 'master-damaged', code: 'MASTER_DAMAGED', mentions: [P2, 'malformed'] },
    { name: 'two damaged replicas of three is unrepairable', replicas: [replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'missing-base', 'slave')], election: masterView(P2), verdict: 'unrepairable', code: 'REFUSED_NO_QUORUM', mentions: ['1 of 3', P1, P3] },
    { name: 'one damaged and one unreachable of three is unknown: the unseen one may complete the quorum', replicas: [replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'unreachable', 'unknown')], election: masterView(P2), verdict: 'unknown', code: 'PEER_UNREACHABLE', mentions: [P1, P3, 'quorum'] },
    { name: 'two damaged and one unreachable of three is unrepairable whatever the unseen one holds', replicas: [replica(P1, 'missing-keys', 'slave'), replica(P2, 'missing-base', 'master'), replica(P3, 'unreachable', 'unknown')], election: masterView(P2), verdict: 'unrepairable', code: 'REFUSED_NO_QUORUM', mentions: [P1, P2, P3] },
    { name: 'damage with no master is unknown', replicas: [replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'none'), replica(P3, 'ok', 'slave')], election: { master: null, masters: [], problem: 'no-master', detail: 'nobody' }, verdict: 'unknown', code: 'WAIT_ELECTION', mentions: ['no-master', P1] },
    { name: 'damage with two masters is unknown', replicas: [replica(P1, 'missing-keys', 'master'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')], election: { master: null, masters: [P1, P2], problem: 'multi-master' }, verdict: 'unknown', code: 'WAIT_ELECTION', mentions: ['multi-master'] },
    { name: 'damage with an unreachable master is unknown', replicas: [replica(P1, 'missing-keys', 'slave'), replica(P2, 'unreachable', 'unknown'), replica(P3, 'ok', 'slave'), replica('127.0.0.1:6134', 'ok', 'slave'), replica('127.0.0.1:6135', 'ok', 'slave')], election: masterView(P2), verdict: 'unknown', code: 'PEER_UNREACHABLE', mentions: [`master ${P2}`] },
    { name: 'damage without any election view is unknown', replicas: [replica(P1, 'missing-keys', 'unknown'), replica(P2, 'ok', 'unknown'), replica(P3, 'ok', 'unknown')], verdict: 'unknown', code: 'WAIT_ELECTION', mentions: ['master is not known'] },
    { name: 'a master outside the located peers is unknown', replicas: [replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'slave'), replica(P3, 'ok', 'slave')], election: masterView('127.0.0.1:6199'), verdict: 'unknown', code: 'WAIT_ELECTION', mentions: ['127.0.0.1:6199'] },
    { name: 'no located peer is unknown', replicas: [], verdict: 'unknown', code: 'WAIT_NO_PEERS', mentions: ['no meta2 peer'] },
  ];

  it.each(cases)('$name', (c) => {
    const v = containerVerdict(c.replicas, c.election);
    expect(v.verdict).toBe(c.verdict);
    expect(v.code).toBe(c.code);
    for (const m of c.mentions) expect(v.reason).toContain(m);
  });

  it('covers every verdict', () => {
    expect(new Set(cases.map((c) => c.verdict))).toEqual(new Set(VERDICTS));
  });

  it('takes the master from the roles when no election view is given', () => {
    const v = containerVerdict([replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')]);
    expect(v.verdict).toBe('repairable');
  });

  it('honours an explicit quorum', () => {
    const rs = [replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')];
    expect(containerVerdict(rs, masterView(P2), 3).verdict).toBe('unrepairable');
  });
});
