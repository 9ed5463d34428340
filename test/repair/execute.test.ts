// Specification of repairContainer against the in-memory fake proxy: what is sent, in which
// order relative to the journal, how per-peer answers are judged, and when it stops.
import { describe, expect, it } from 'vitest';
import { OioUnavailableError } from '../../src/oio/errors.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { repairJournal } from '../../src/journal/entries.js';
import type { JournalEntry, JournalSink } from '../../src/journal/types.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS, type ContainerReport } from '../../src/probe/types.js';
import { repairContainer, type RepairOptions } from '../../src/repair/execute.js';
import type { ControlBlock } from '../../src/controls/gates.js';
import { HeldByControlError } from '../../src/daemon/controls.js';
import { FakeProxy, MUTATING_ROUTES } from '../helpers/fake-proxy.js';
import { capturingLogger } from '../helpers/capture-log.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { Writable } from 'node:stream';
import { healthyTable, P1, P2, P3, REF, without } from '../helpers/tables.js';

/** A journal whose append resolves a tick later, recording into a timeline shared with the proxy. */
class TimelineJournal implements JournalSink {
  readonly entries: JournalEntry[] = [];
  failOn: JournalEntry['type'] | undefined;
  constructor(private readonly timeline: string[]) {}
  async append(entry: JournalEntry): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (entry.type === this.failOn) throw new Error('disk full');
    this.entries.push(entry);
    this.timeline.push(`journal:${entry.type}`);
  }
  types(): string[] {
    return this.entries.map((e) => e.type);
  }
}

interface Setup {
  proxy: FakeProxy;
  journal: TimelineJournal;
  timeline: string[];
  probes: number;
  options: (extra?: Partial<RepairOptions>) => RepairOptions;
  probe: () => Promise<ContainerReport>;
}

function setup(): Setup {
  const proxy = new FakeProxy();
  const timeline: string[] = [];
  proxy.onCall = (c) => timeline.push(`call:${c.route}`);
  const journal = new TimelineJournal(timeline);
  const s: Setup = {
    proxy,
    journal,
    timeline,
    probes: 0,
    probe: () => probeContainer(proxy, REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId: 'probe-1' }),
    options: (extra = {}) => ({
      dryRun: false,
      journal: repairJournal(journal, { evidenceMaxBytes: 65_536 }),
      reqId: 'rep-1',
      maxRounds: 3,
      verifyAttempts: 5,
      verifyDelayMs: 0,
      pollIntervalMs: 1,
      awaitMasterTimeoutMs: 200,
      probe: (ref: ContainerRef) => {
        s.probes++;
        return probeContainer(proxy, ref, { requiredKeys: DEFAULT_REQUIRED_KEYS, alwaysElection: true, reqId: 'rep-1' });
      },
      ...extra,
    }),
  };
  return s;
}

/**
 * Every mutating request (retries included) comes after its own flushed step-start, and the step's
 * step-end is flushed before the run ends. Reads in between are the step's own checks and proof.
 */
function expectFramed(timeline: readonly string[]): void {
  let unusedStarts = 0;
  let pendingEnd = false;
  for (const ev of timeline) {
    if (ev === 'journal:step-start') unusedStarts++;
    if (ev.startsWith('call:') && MUTATING_ROUTES.has(ev.slice(5))) {
      expect(unusedStarts, `${ev} without its own flushed step-start`).toBeGreaterThan(0);
      unusedStarts = 0;
      pendingEnd = true;
    }
    if (ev === 'journal:step-end') {
      unusedStarts = 0;
      pendingEnd = false;
    }
  }
  expect(pendingEnd).toBe(false);
}

describe('repairContainer', () => {
  it('syncs the slave lacking sys.m2.ctime, verifies it healthy and journals every step in order', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const before = await s.probe();
    expect(before.verdict).toBe('repairable');
    const result = await repairContainer(s.proxy, before, s.options());
    expect(result.outcome).toBe('succeeded');
    expect(result.after?.verdict).toBe('healthy');
    expect(s.proxy.mutations()).toEqual([{ route: 'admin/sync', peers: [P1], reqId: 'rep-1' }]);
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0]?.results[0]).toMatchObject({ status: 'done', answers: [{ peer: P1, status: 200, message: 'OK' }] });
    expect(s.journal.types()).toEqual(['evidence', 'step-start', 'step-end', 'verify', 'repair']);
    const start = s.journal.entries[1];
    expect(start).toMatchObject({ type: 'step-start', round: 1, dryRun: false, cid: REF.cid, account: 'ACCT', container: 'CT1', reqId: 'rep-1', step: { kind: 'sync', peers: [P1] } });
    expect(start?.type === 'step-start' && start.before.find((r) => r.peer === P1)).toMatchObject({ health: 'missing-keys', missingKeys: ['sys.m2.ctime'] });
    expect(s.journal.entries[4]).toMatchObject({ type: 'repair', outcome: 'succeeded', code: 'REPAIR_SUCCEEDED' });
    expect(s.journal.entries[3]).toMatchObject({ type: 'verify', code: 'HEALTHY' });
    expect(result.code).toBe('REPAIR_SUCCEEDED');
    expect(result.rounds[0]?.plan.code).toBe('PLAN_SYNC');
    expectFramed(s.timeline);
  });

  it('journals what every replica held, admin table included, on disk before the sync is sent', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    await repairContainer(s.proxy, await s.probe(), s.options());
    const evidence = s.journal.entries.find((e) => e.type === 'evidence');
    expect(evidence).toMatchObject({ round: 1, step: { kind: 'sync', peers: [P1] }, source: P2, reqId: 'rep-1', cid: REF.cid });
    if (evidence?.type !== 'evidence') throw new Error('no evidence entry');
    expect(evidence.replicas.map((r) => [r.peer, r.role, r.base, r.health, r.overwritten])).toEqual([
      [P1, 'slave', 'present', 'missing-keys', true],
      [P2, 'master', 'present', 'ok', false],
      [P3, 'slave', 'present', 'ok', false],
    ]);
    // The slave's whole table as it was before the master's base replaced it.
    expect(evidence.replicas[0]?.table).toEqual(without(healthyTable(), 'sys.m2.ctime'));
    expect(s.timeline.indexOf('journal:evidence')).toBeLessThan(s.timeline.indexOf('call:admin/sync'));
  });

  it('records a digest and the keys in question instead of a table above evidenceMaxBytes', async () => {
    const s = setup();
    s.proxy.peer(P2).table = without(healthyTable(), 'sys.m2.ctime');
    await repairContainer(s.proxy, await s.probe(), s.options({ journal: repairJournal(s.journal, { evidenceMaxBytes: 100 }) }));
    const evidence = s.journal.entries.find((e) => e.type === 'evidence');
    if (evidence?.type !== 'evidence') throw new Error('no evidence entry');
    expect(evidence.step.kind).toBe('set-properties');
    // A write-back rewrites keys on every replica: all of them are overwritten.
    expect(evidence.replicas.every((r) => r.overwritten && r.table === undefined)).toBe(true);
    expect(evidence.replicas.find((r) => r.peer === P2)).toMatchObject({
      role: 'master',
      digest: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), keys: 19 },
      keys: { 'sys.m2.ctime': null, 'version:main.admin': '2:0' },
    });
    expect(evidence.replicas.find((r) => r.peer === P1)?.keys).toEqual({ 'sys.m2.ctime': '1795580730589743', 'version:main.admin': '2:0' });
  });

  it('sends no overwriting step when its evidence cannot be journaled', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    s.journal.failOn = 'evidence';
    const result = await repairContainer(s.proxy, await s.probe(), s.options());
    expect(result.outcome).toBe('failed');
    expect(s.proxy.mutations()).toEqual([]);
  });

  it('writes a missing master key back through the master instead of syncing', async () => {
    const s = setup();
    s.proxy.peer(P2).table = without(healthyTable(), 'sys.m2.ctime');
    const before = await s.probe();
    expect(before.verdict).toBe('master-damaged');
    const result = await repairContainer(s.proxy, before, s.options());
    expect(result.outcome).toBe('succeeded');
    expect(s.proxy.mutations().map((c) => c.route)).toEqual(['admin/set_properties']);
    expect(s.proxy.peer(P2).table?.system['sys.m2.ctime']).toBe('1795580730589743');
    expect(s.proxy.peer(P1).table?.system['version:main.admin']).toBe('3:0');
    expectFramed(s.timeline);
  });

  it('makes a corrupt master leave, waits for a healthy master, then syncs the old master (never syncing while it is master)', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    const syncMasters: (string | null)[] = [];
    s.proxy.onMutation = (route, master) => {
      if (route === 'admin/sync') syncMasters.push(master);
    };
    const before = await s.probe();
    expect(before.verdict).toBe('master-damaged');
    const result = await repairContainer(s.proxy, before, s.options());
    expect(result.outcome).toBe('succeeded');
    expect(result.rounds.map((r) => r.plan.steps.map((st) => st.kind))).toEqual([['leave', 'await-master'], ['sync']]);
    expect(s.proxy.master).toBe(P1);
    expect(syncMasters).not.toContain(P2);
    expect(syncMasters.length).toBeGreaterThan(0);
    // The corrupt base answers 511 to the first sync and is recreated by the retry.
    expect(s.proxy.mutations().map((c) => `${c.route}:${c.peers?.join(',') ?? ''}`)).toEqual([
      `admin/leave:${P2}`, `admin/sync:${P2}`, `admin/sync:${P2}`,
    ]);
    expect(result.rounds[1]?.results[0]?.answers).toEqual([{ peer: P2, status: 200, message: 'OK' }]);
    // The retry after 511 has its own step-start (attempt 2), on disk before it is sent.
    // Evidence comes before the sync only: leave and await-master change roles, not data.
    expect(s.journal.types()).toEqual(['step-start', 'step-end', 'step-start', 'step-end', 'verify', 'evidence', 'step-start', 'step-start', 'step-end', 'verify', 'repair']);
    expectFramed(s.timeline);
  });

  it('journals and logs the retry of a sync after 511 as its own attempt, before sending it', async () => {
    const s = setup();
    s.proxy.peer(P1).corrupt = true;
    const { log, lines } = capturingLogger();
    const before = await s.probe();
    expect(before.verdict).toBe('repairable');
    const result = await repairContainer(s.proxy, before, s.options({ log }));
    expect(result.outcome).toBe('succeeded');
    expect(s.proxy.mutations().map((c) => `${c.route}:${c.peers?.join(',') ?? ''}`)).toEqual([`admin/sync:${P1}`, `admin/sync:${P1}`]);
    const starts = s.journal.entries.filter((e) => e.type === 'step-start');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({ step: { kind: 'sync', peers: [P1] }, attempt: 2, why: expect.stringContaining('511') });
    expectFramed(s.timeline);
    expect(lines.filter((l) => l['msg'] === 'repair step retry')).toEqual([expect.objectContaining({ attempt: 2, round: 1 })]);
  });

  it('observes oio_repaird_repair_step_duration_seconds once for every step run', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    const metrics = createMetrics({ defaultMetrics: false });
    const result = await repairContainer(s.proxy, await s.probe(), s.options({ metrics }));
    expect(result.outcome).toBe('succeeded');
    const counts = new Map<string, number>();
    for (const v of (await metrics.repairStepDuration.get()).values) {
      if (v.metricName === 'oio_repaird_repair_step_duration_seconds_count') counts.set(String(v.labels['step']), v.value);
    }
    expect(Object.fromEntries(counts)).toEqual({ sync: 1, leave: 1, 'await-master': 1, 'set-properties': 0 });
  });

  it('logs each repair step once with cid and reqId, as bound by the caller', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const raw: string[] = [];
    const log = createLogger({ journald: false, destination: new Writable({ write(chunk: Buffer, _e, done) { raw.push(...chunk.toString().split('\n').filter(Boolean)); done(); } }) });
    await repairContainer(s.proxy, await s.probe(), s.options({ log: log.child({ cid: REF.cid, reqId: 'rep-1' }) }));
    const steps = raw.filter((l) => l.includes('"msg":"repair step'));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    for (const line of steps) {
      expect(line.split('"cid":').length - 1, line).toBe(1);
      expect(line.split('"reqId":').length - 1, line).toBe(1);
    }
  });

  it('runs beforeFirstMutation once, right before the first mutating request', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    let calls = 0;
    const result = await repairContainer(s.proxy, await s.probe(), s.options({
      beforeFirstMutation: async () => {
        calls++;
        s.timeline.push('hook');
      },
    }));
    expect(result.outcome).toBe('succeeded');
    expect(calls).toBe(1);
    const firstMutation = s.timeline.findIndex((e) => e === 'call:admin/leave');
    expect(s.timeline.indexOf('hook')).toBeGreaterThanOrEqual(0);
    expect(s.timeline.indexOf('hook')).toBeLessThan(firstMutation);
    expect(s.timeline.slice(0, s.timeline.indexOf('hook')).filter((e) => e.startsWith('journal:'))).toEqual([]);
  });

  it('sends nothing when beforeFirstMutation throws, and says why in the outcome', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const refused = Object.assign(new Error('hourly budget spent'), { outcome: 'skipped_budget' });
    const result = await repairContainer(s.proxy, await s.probe(), s.options({ beforeFirstMutation: () => Promise.reject(refused) }));
    expect(result).toMatchObject({ outcome: 'skipped_budget', reason: expect.stringContaining('hourly budget spent') });
    expect(s.proxy.mutations()).toEqual([]);
    expect(s.journal.types()).toEqual(['repair']);
    const plain = await repairContainer(s.proxy, await s.probe(), s.options({ beforeFirstMutation: () => Promise.reject(new Error('state dir read-only')) }));
    expect(plain).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('state dir read-only') });
    expect(s.proxy.mutations()).toEqual([]);
  });

  it('stops before its next mutating step when an operator control begins mid-plan: the control\'s outcome, STOPPED_BY_CONTROL, nothing more sent', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    let calls = 0;
    const suspension: ControlBlock = { code: 'SKIPPED_SUSPENDED', outcome: 'skipped_suspended', reason: 'repairs suspended until 2026-12-24T00:00:00.000Z by alice: freeze', until: Date.parse('2026-12-24') };
    // The leave passes; the suspension starts before the sync of the next round.
    const beforeEachMutation = (): void => {
      if (++calls > 1) throw new HeldByControlError(suspension);
    };
    const result = await repairContainer(s.proxy, await s.probe(), s.options({ beforeEachMutation }));
    expect(result).toMatchObject({ outcome: 'skipped_suspended', code: 'STOPPED_BY_CONTROL', reason: expect.stringContaining('repairs suspended until') });
    expect(result.reason).toMatch(/^stopped before sync in round 2, nothing more sent/);
    expect(s.proxy.mutations().map((c) => c.route)).toEqual(['admin/leave']);
    expect(s.journal.entries.at(-1)).toMatchObject({ type: 'repair', outcome: 'skipped_suspended', code: 'STOPPED_BY_CONTROL' });
  });

  it('never calls beforeFirstMutation in a dry run or when nothing is to be done', async () => {
    const s = setup();
    let calls = 0;
    const hook = async () => { calls++; };
    await repairContainer(s.proxy, await s.probe(), s.options({ beforeFirstMutation: hook }));
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    await repairContainer(s.proxy, await s.probe(), s.options({ beforeFirstMutation: hook, dryRun: true }));
    expect(calls).toBe(0);
  });

  it('refuses two damaged replicas of three and sends nothing mutating', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    s.proxy.peer(P3).table = null;
    const before = await s.probe();
    expect(before.verdict).toBe('unrepairable');
    const result = await repairContainer(s.proxy, before, s.options());
    expect(result.outcome).toBe('refused');
    expect(result.code).toBe('REFUSED_NO_QUORUM');
    expect(s.proxy.mutations()).toEqual([]);
    expect(s.journal.types()).toEqual(['repair']);
  });

  it('touches nothing while a peer is unreachable', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    s.proxy.peer(P3).down = true;
    const before = await s.probe();
    // One damaged, one unseen: no healthy quorum now, but the unseen one may complete it.
    expect(before.verdict).toBe('unknown');
    expect((await repairContainer(s.proxy, before, s.options())).outcome).toBe('failed');
    expect(s.proxy.mutations()).toEqual([]);
    s.proxy.peer(P1).table = healthyTable();
    const unknown = await s.probe();
    expect(unknown.verdict).toBe('unknown');
    const result = await repairContainer(s.proxy, unknown, s.options());
    expect(result.outcome).toBe('failed');
    expect(s.proxy.mutations()).toEqual([]);
  });

  it('does nothing for a healthy container and journals nothing', async () => {
    const s = setup();
    const result = await repairContainer(s.proxy, await s.probe(), s.options());
    expect(result).toMatchObject({ outcome: 'succeeded', rounds: [] });
    expect(s.journal.entries).toEqual([]);
  });

  it('in dry-run journals the planned steps and calls no mutating route', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    const result = await repairContainer(s.proxy, await s.probe(), s.options({ dryRun: true }));
    expect(result.outcome).toBe('dry_run');
    expect(s.proxy.mutations()).toEqual([]);
    expect(s.journal.entries.map((e) => (e.type === 'step-start' ? `${e.type}:${e.step.kind}:${e.dryRun}` : e.type))).toEqual([
      'step-start:leave:true', 'step-start:await-master:true', 'repair',
    ]);
    expect(result.reason).toContain(`dry run, would run: master ${P2} leaves the election, then wait until`);
  });

  it('asks the election again before syncing, and sends no sync once mastership has moved', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const before = await s.probe();
    s.proxy.master = P1; // the damaged slave became master after the probe
    const result = await repairContainer(s.proxy, before, s.options());
    expect(result.outcome).toBe('failed');
    expect(result.rounds[0]?.results[0]).toMatchObject({ status: 'failed', detail: expect.stringContaining('the master changed since the probe') });
    expect(s.proxy.count('admin/sync')).toBe(0);
    expect(s.journal.entries.find((e) => e.type === 'step-end')).toMatchObject({ status: 'failed' });
    expect(s.journal.types().at(-1)).toBe('repair');
  });

  it('fails the sync when a targeted slave answers 301 (it became master between status and sync)', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const before = await s.probe();
    s.proxy.sync = async (_ref, peers = []) => peers.map((peer) => ({ peer, status: 301, message: 'not SLAVE', body: '' }));
    const result = await repairContainer(s.proxy, before, s.options());
    expect(result.outcome).toBe('failed');
    expect(result.rounds[0]?.results[0]).toMatchObject({ status: 'failed', answers: [{ peer: P1, status: 301 }] });
    expect(result.reason).toContain('it is master now');
    expect(s.journal.entries.find((e) => e.type === 'step-end')).toMatchObject({ status: 'failed' });
  });

  it('records a step that throws as failed and stops', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const before = await s.probe();
    s.proxy.sync = async () => {
      throw new OioUnavailableError('Service unavailable', { route: 'admin/sync', httpStatus: 503 });
    };
    const result = await repairContainer(s.proxy, before, s.options());
    expect(result.outcome).toBe('failed');
    expect(s.journal.entries.find((e) => e.type === 'step-end')).toMatchObject({ status: 'failed', detail: expect.stringContaining('OIO_UNAVAILABLE') });
  });

  it('polls the verification while an asynchronous sync has not landed', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    s.proxy.syncLagReads = 2;
    const result = await repairContainer(s.proxy, await s.probe(), s.options({ verifyAttempts: 5 }));
    expect(result.outcome).toBe('succeeded');
    // One re-read just before the sync, then three until the copy shows: the proof, which also verifies.
    expect(s.probes).toBe(4);
    expect(s.proxy.count('admin/sync')).toBe(1);
  });

  it('proves a sync by re-reading the slave, and never syncs the same slave again after a sync that had no effect', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    // The proxy answers 200 OK but copies nothing.
    let syncs = 0;
    s.proxy.sync = async (_ref, peers) => {
      syncs++;
      return (peers ?? []).map((peer) => ({ peer, status: 200, message: 'OK', body: '' }));
    };
    const result = await repairContainer(s.proxy, await s.probe(), s.options({ maxRounds: 3, verifyAttempts: 2 }));
    expect(result.outcome).toBe('failed');
    expect(syncs).toBe(1);
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0]?.results[0]).toMatchObject({
      status: 'no-effect',
      evidence: [{ peer: P1, before: { health: 'missing-keys', keys: { 'sys.m2.ctime': null } }, after: { health: 'missing-keys', keys: { 'sys.m2.ctime': null } } }],
    });
    expect(result.reason).toMatch(/sync on .*6131 in round 1 had no effect/);
    const escalate = s.journal.entries.find((e) => e.type === 'escalate');
    expect(escalate).toMatchObject({ round: 2, code: 'STOPPED_NO_EFFECT', from: [{ kind: 'sync', peer: P1, round: 1 }], to: [] });
    expect(s.journal.types()).toEqual(['evidence', 'step-start', 'step-end', 'verify', 'escalate', 'repair']);
    expect(result.code).toBe('STOPPED_NO_EFFECT');
    expect(s.journal.entries.at(-1)).toMatchObject({ type: 'repair', code: 'STOPPED_NO_EFFECT' });
  });

  it('takes a master still alone after its leave as a leave without effect, then stops with the reason and never syncs', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    const before = await s.probe();
    let leaves = 0;
    s.proxy.leave = async (_ref, peers) => {
      leaves++;
      return peers.map((peer) => ({ peer, status: 200, message: 'OK', body: '' }));
    };
    const result = await repairContainer(s.proxy, before, s.options({ awaitMasterTimeoutMs: 5_000 }));
    expect(result.outcome).toBe('failed');
    expect(result.rounds[0]?.results.map((r) => r.status)).toEqual(['done', 'no-effect']);
    expect(leaves).toBe(1);
    expect(s.proxy.count('admin/sync')).toBe(0);
    expect(result.reason).toContain(`leave on ${P2} in round 1 had no effect`);
    expect(s.journal.entries.find((e) => e.type === 'escalate')).toMatchObject({ from: [{ kind: 'leave', peer: P2 }], to: [] });
  });

  it('fails await-master when the election does not settle in time, and never syncs', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    const before = await s.probe();
    const leave = s.proxy.leave.bind(s.proxy);
    s.proxy.leave = async (ref, peers, opts) => {
      const answers = await leave(ref, peers, opts);
      s.proxy.master = null; // nobody answers as master from now on
      return answers;
    };
    const result = await repairContainer(s.proxy, before, s.options({ awaitMasterTimeoutMs: 20 }));
    expect(result.outcome).toBe('failed');
    expect(result.rounds[0]?.results.map((r) => r.status)).toEqual(['done', 'failed']);
    expect(result.reason).toContain('did not settle');
    expect(s.proxy.count('admin/sync')).toBe(0);
  });

  it('on abort finishes and records the in-flight step, then stops', async () => {
    const s = setup();
    s.proxy.peer(P2).corrupt = true;
    const before = await s.probe();
    const ac = new AbortController();
    const leave = s.proxy.leave.bind(s.proxy);
    s.proxy.leave = async (ref, peers, opts) => {
      ac.abort();
      return leave(ref, peers, opts);
    };
    const result = await repairContainer(s.proxy, before, s.options({ signal: ac.signal }));
    expect(result.outcome).toBe('failed');
    expect(result.reason).toContain('interrupted');
    expect(s.journal.types()).toEqual(['step-start', 'step-end', 'repair']);
    expect(s.proxy.mutations().map((c) => c.route)).toEqual(['admin/leave']);
  });

  it('calls nothing mutating when the step-start cannot be journalled', async () => {
    const s = setup();
    s.proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    s.journal.failOn = 'step-start';
    const result = await repairContainer(s.proxy, await s.probe(), s.options());
    expect(result.outcome).toBe('failed');
    expect(result.reason).toContain('disk full');
    expect(s.proxy.mutations()).toEqual([]);
  });

  it('stops waiting as soon as the election settles on a damaged peer, then repairs that new master, never syncing from it', async () => {
    const s = setup();
    // Five peers: master corrupt, the next in order lacks sys.m2.ctime.
    const peers = ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1', '10.0.0.4:1', '10.0.0.5:1'];
    const proxy = new FakeProxy(peers, peers[0]);
    proxy.peer(peers[0] as string).corrupt = true;
    proxy.peer(peers[1] as string).table = without(healthyTable(), 'sys.m2.ctime');
    const syncMasters: (string | null)[] = [];
    proxy.onMutation = (route, master) => {
      if (route === 'admin/sync') syncMasters.push(master);
    };
    const before = await probeContainer(proxy, REF, { requiredKeys: DEFAULT_REQUIRED_KEYS });
    expect(before.verdict).toBe('master-damaged');
    const result = await repairContainer(proxy, before, s.options({ awaitMasterTimeoutMs: 60_000, pollIntervalMs: 1_000, probe: (ref) => probeContainer(proxy, ref, { requiredKeys: DEFAULT_REQUIRED_KEYS, alwaysElection: true }) }));
    const awaited = result.rounds[0]?.results[1];
    expect(awaited).toMatchObject({ status: 'done', detail: expect.stringContaining('NOT healthy at the probe') });
    // One status read was enough (the poll interval is 1 s; the timeout a minute).
    expect(proxy.calls.filter((c) => c.route === 'admin/status').length).toBeLessThan(10);
    // The write-back through the new master also restored the old one (a full copy to a corrupt slave).
    expect(result.rounds.map((r) => r.plan.steps.map((st) => st.kind))).toEqual([['leave', 'await-master'], ['set-properties']]);
    expect(result.outcome).toBe('succeeded');
    expect(syncMasters).toEqual([]);
  });
});
