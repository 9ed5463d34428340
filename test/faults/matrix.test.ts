// The fault matrix: one case per fault, each run through the daemon's own Sweeper against the
// simulator over real HTTP (see world.ts). Every row checks the same four things: nothing
// crashed (no unhandled rejection), nothing unsafe reached the simulator (no sync while its
// master was damaged, no mutating call on a container the sweep saw as unknown or
// unrepairable), the metric the fault must move, and the journal entry an operator would read.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/types.js';
import { cidFromName } from '../../src/oio/cid.js';
import { OioNotFoundError } from '../../src/oio/errors.js';
import type { ContainerRef, ProxyApi } from '../../src/oio/types.js';
import type { ScenarioContainer } from '../../src/sim/index.js';
import { S1, S2, S3, S4, S5, World } from './world.js';

const A = 'acct';
const cid = (container: string): string => cidFromName(A, container);
const box = (name: string, peers: readonly string[], master?: string): ScenarioContainer => ({
  account: A, name, peers: [...peers], master: master ?? peers[0] as string,
});

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
let world: World | undefined;

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await world?.close();
  world = undefined;
  unhandled.length = 0;
});

async function start(...args: Parameters<typeof World.start>): Promise<World> {
  world = await World.start(...args);
  return world;
}

/** The invariants of every row. */
async function expectSafe(w: World): Promise<void> {
  // Let any stray promise settle before looking for unhandled rejections.
  await new Promise((r) => setTimeout(r, 5));
  expect(unhandled).toEqual([]);
  for (const m of w.mutations) {
    if (m.route === 'sync') expect(m.masterHealthy, `sync on ${m.cid} while master ${m.master} was damaged`).toBe(true);
    expect(['repairable', 'master-damaged'], `${m.route} on ${m.cid} swept as ${m.sweptVerdict}`).toContain(m.sweptVerdict);
  }
  // Every mutating step that started was recorded as ended, with a status.
  const entries = await w.entries();
  const key = (e: JournalEntry & { round: number; step: { kind: string } }): string => `${e.reqId}/${e.round}/${e.step.kind}`;
  const starts = entries.filter((e) => e.type === 'step-start' && !e.dryRun).map((e) => key(e as never));
  const ends = entries.filter((e) => e.type === 'step-end').map((e) => key(e as never));
  expect(ends).toEqual(starts);
}

const types = (entries: readonly JournalEntry[]): string[] =>
  entries.map((e) => (e.type === 'step-start' || e.type === 'step-end' || e.type === 'evidence' ? `${e.type}:${e.step.kind}` : e.type));

function only<T extends JournalEntry['type']>(entries: readonly JournalEntry[], type: T): Extract<JournalEntry, { type: T }> {
  const found = entries.filter((e): e is Extract<JournalEntry, { type: T }> => e.type === type);
  expect(found, `exactly one ${type} entry`).toHaveLength(1);
  return found[0] as Extract<JournalEntry, { type: T }>;
}

const PROBES = 'oio_repaird_probes_total';
const DETECTIONS = 'oio_repaird_detections_total';
const REPAIRS = 'oio_repaird_repairs_total';
const LAST_SUCCESS = 'oio_repaird_last_sweep_success_timestamp_seconds';
const UNREPAIRABLE = 'oio_repaird_unrepairable_containers';
const DAMAGED = 'oio_repaird_damaged_replicas';
const SWEEPS = 'oio_repaird_sweeps_total';

describe('fault matrix: proxy outages', () => {
  it('proxy down at start: the sweep fails, probes nothing, leaves nothing to resume; the next sweep starts afresh', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3]), box('c2', [S2, S3, S4])],
      faults: [{ kind: 'drop-keys', account: A, container: 'c2', peer: S4, keys: ['sys.m2.ctime'] }],
    });
    await w.sim.pause();
    const failed = await w.sweep();
    expect(failed.result).toBe('failed');
    expect(failed.error?.code).toBe('OIO_UNREACHABLE');
    expect(failed.doneThisRun).toBe(0);
    // Nothing was done, so there is no position to keep: the next sweep is a new one, not "resumed".
    expect(failed.position).toBeNull();
    expect(await w.checkpoint()).toBeNull();
    expect(await w.counts(PROBES, 'result')).toEqual({});
    expect(await w.metric(SWEEPS, { result: 'failed' })).toBe(1);
    expect(await w.entries()).toEqual([]);
    await expectSafe(w);

    await w.sim.resume();
    const next = await w.sweep();
    expect(next).toMatchObject({ result: 'completed', resumed: false, doneThisRun: 2 });
    expect(next.sweepId).not.toBe(failed.sweepId);
    expect(await w.checkpoint()).toBeNull();
    expect(await w.metric(REPAIRS, { outcome: 'succeeded' })).toBe(1);
    await expectSafe(w);
  });

  it('proxy down mid-sweep: the container probed during the outage is unknown and untouched, the sweep goes on after it', async () => {
    const names = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const w = await start({
      containers: names.map((n) => box(n, [S1, S2, S3])),
      faults: [
        { kind: 'drop-keys', account: A, container: 'c4', peer: S3, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: A, container: 'c6', peer: S2, keys: ['sys.m2.ctime'] },
      ],
    });
    // The proxy (and the account service: same simulator) vanish while c4 is probed.
    const summary = await w.sweep(undefined, {
      beforeProbe: async (n) => { if (n === 4) await w.sim.pause(); },
      afterProbe: async (n) => { if (n === 4) await w.sim.resume(); },
    }, { enumerationRetries: 8, enumerationBackoffMs: 20 });
    // One probe of a handful failed outright: the walk ended, but its damage picture is not trusted.
    expect(summary.result).toBe('incomplete');
    expect(summary.counts.done).toBe(6);
    expect(w.swept.get(cid('c4'))).toBe('unknown');
    expect(w.swept.get(cid('c6'))).toBe('repairable');
    expect(await w.metric(PROBES, { result: 'error' })).toBe(1);
    expect(await w.metric(PROBES, { result: 'ok' })).toBe(5 * 3 - 1);
    expect(await w.metric(DETECTIONS, { kind: 'unreachable' })).toBe(3);
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({ succeeded: 1 });
    const c4 = await w.entriesFor(A, 'c4');
    expect(types(c4)).toEqual(['detection']);
    expect(only(c4, 'detection')).toMatchObject({ verdict: 'unknown' });
    expect(only(c4, 'detection').replicas.map((r) => r.health)).toEqual(['unreachable', 'unreachable', 'unreachable']);
    expect(only(await w.entriesFor(A, 'c6'), 'repair')).toMatchObject({ outcome: 'succeeded' });
    // The damage of c4 is still there: it was never touched.
    expect(w.mutations.map((m) => m.cid)).not.toContain(cid('c4'));
    expect(w.sim.truth(cid('c4'))?.replicas.find((r) => r.peer === S3)?.admin['sys.m2.ctime']).toBeUndefined();
    await expectSafe(w);
  });
});

describe('fault matrix: failing meta2 services', () => {
  it('a short 5xx burst is absorbed by retried reads: the container reads healthy', async () => {
    const w = await start({ containers: [box('c1', [S1, S2, S3])], faults: [{ kind: 'error-burst', service: S2, count: 2 }] });
    const summary = await w.sweep();
    expect(summary.result).toBe('completed');
    expect(w.swept.get(cid('c1'))).toBe('healthy');
    expect(w.sim.stats().byStatus['503']).toBe(2);
    expect(await w.counts(PROBES, 'result')).toEqual({ ok: 3 });
    expect(await w.counts(DETECTIONS, 'kind')).toEqual({});
    expect(await w.entries()).toEqual([]);
    await expectSafe(w);
  });

  it('a long 5xx burst ends in unknown for the containers on that service, never in a repair; others are repaired', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3]), box('c2', [S1, S3, S4])],
      faults: [
        { kind: 'error-burst', service: S2, count: 1000 },
        { kind: 'drop-keys', account: A, container: 'c1', peer: S3, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: A, container: 'c2', peer: S4, keys: ['sys.m2.ctime'] },
      ],
    });
    const summary = await w.sweep();
    // c1's election call failed as a whole (the burst): a probe error, 1 of 2 containers.
    expect(summary.result).toBe('incomplete');
    // c1: S2 unseen and S3 damaged leave 1 healthy replica of 3 now, but S2 may complete the
    // quorum once seen: unknown (decided later), not refused, and never touched.
    expect(w.swept.get(cid('c1'))).toBe('unknown');
    expect(w.swept.get(cid('c2'))).toBe('repairable');
    expect(await w.metric(DETECTIONS, { kind: 'unreachable' })).toBe(1);
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({ succeeded: 1 });
    const c1 = await w.entriesFor(A, 'c1');
    expect(types(c1)).toEqual(['detection']);
    expect(only(c1, 'detection').verdict).toBe('unknown');
    expect(w.mutations.every((m) => m.cid === cid('c2'))).toBe(true);
    expect(w.sim.stats().syncCalls).toEqual({ [S4]: 1 });
    await expectSafe(w);
  });

  it('a long 5xx burst on a healthy container gives unknown (probe error), journaled, no repair', async () => {
    const w = await start({ containers: [box('c1', [S1, S2, S3])], faults: [{ kind: 'error-burst', service: S2, count: 1000 }] });
    await w.sweep();
    expect(w.swept.get(cid('c1'))).toBe('unknown');
    // has/status fan out to S2 too, so they fail: the probe itself counts as an error.
    expect(await w.counts(PROBES, 'result')).toEqual({ error: 1 });
    expect(await w.counts(DETECTIONS, 'kind')).toEqual({ unreachable: 1 });
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({});
    const entries = await w.entriesFor(A, 'c1');
    expect(types(entries)).toEqual(['detection']);
    expect(only(entries, 'detection')).toMatchObject({ verdict: 'unknown' });
    expect(w.mutations).toEqual([]);
    await expectSafe(w);
  });

  it('a service slower than the client timeout: its replica times out, the verdict is unknown, nothing is repaired', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3]), box('c2', [S1, S2, S4])],
      faults: [{ kind: 'slow', service: S3, ms: 5_000 }],
      proxy: { requestTimeoutMs: 300 },
    });
    const summary = await w.sweep();
    // The deadline failed the whole election call: a probe error, so the sweep is incomplete.
    expect(summary.result).toBe('incomplete');
    expect(w.swept.get(cid('c1'))).toBe('unknown');
    expect(w.swept.get(cid('c2'))).toBe('healthy');
    expect(await w.metric(DETECTIONS, { kind: 'timeout' })).toBe(1);
    expect(await w.metric(PROBES, { result: 'ok' })).toBe(3);
    expect(await w.metric(PROBES, { result: 'error' })).toBe(1);
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({});
    const detection = only(await w.entriesFor(A, 'c1'), 'detection');
    expect(detection.verdict).toBe('unknown');
    expect(detection.replicas.find((r) => r.peer === S3)?.health).toBe('timeout');
    expect(w.mutations).toEqual([]);
    await expectSafe(w);
  });

  it('one slow meta2 service (within the timeout): the sweep completes, every container reads healthy, the service is never over its cap', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S5]), box('c2', [S1, S2, S3]), box('c3', [S3, S4, S5]), box('c4', [S2, S3, S4]), box('c5', [S4, S5, S1])],
      faults: [{ kind: 'slow', service: S5, ms: 60 }],
    });
    const summary = await w.sweep(undefined, {}, { concurrency: 4, perServiceConcurrency: 1 });
    expect(summary).toMatchObject({ result: 'completed', doneThisRun: 5 });
    expect([...w.swept.values()]).toEqual(['healthy', 'healthy', 'healthy', 'healthy', 'healthy']);
    expect(await w.counts(PROBES, 'result')).toEqual({ ok: 15 });
    expect(w.sim.stats().services[S5]?.maxInFlight).toBe(1);
    expect(await w.entries()).toEqual([]);
    await expectSafe(w);
  });

  it('one dead meta2 service: its replicas are unreachable, those containers unknown and untouched, the others unaffected', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3]), box('c2', [S1, S2, S4])],
      faults: [{ kind: 'down', service: S3 }],
    });
    const summary = await w.sweep();
    // Half of the containers could not be judged: the sweep did not see the namespace.
    expect(summary.result).toBe('incomplete');
    expect(summary.counts).toMatchObject({ done: 2, unknown: 1, probeErrors: 0 });
    expect(w.swept.get(cid('c1'))).toBe('unknown');
    expect(w.swept.get(cid('c2'))).toBe('healthy');
    // has/status answer per peer (S3: code 2), so the probe itself did not fail.
    expect(await w.counts(PROBES, 'result')).toEqual({ ok: 5, unreachable: 1 });
    expect(await w.counts(DETECTIONS, 'kind')).toEqual({ unreachable: 1 });
    const detection = only(await w.entriesFor(A, 'c1'), 'detection');
    expect(detection).toMatchObject({ verdict: 'unknown' });
    expect(detection.replicas.find((r) => r.peer === S3)).toMatchObject({ health: 'unreachable' });
    expect(w.mutations).toEqual([]);
    await expectSafe(w);
  });

  it('a meta2 service down under every container: the sweep is incomplete and keeps the last completed sweep\'s gauges and success time', async () => {
    // Three services, every container on all three (fact 31: one service down, nothing can be judged).
    const names = ['c1', 'c2', 'c3', 'c4'];
    const w = await start({
      containers: names.map((n) => box(n, [S1, S2, S3], S2)),
      faults: [
        { kind: 'missing-base', account: A, container: 'c2', peer: S1 },
        { kind: 'missing-base', account: A, container: 'c2', peer: S3 },
        { kind: 'drop-keys', account: A, container: 'c4', peer: S3, keys: ['sys.m2.ctime'] },
      ],
      policy: { mode: 'report-only' },
    });
    const seen = await w.sweep();
    expect(seen).toMatchObject({ result: 'completed', counts: { unknown: 0, unrepairable: 1 } });
    const lastSuccess = await w.metric(LAST_SUCCESS);
    expect(lastSuccess).toBeGreaterThan(0);
    expect(await w.metric(UNREPAIRABLE)).toBe(1);
    expect(await w.metric(DAMAGED, { kind: 'missing-keys' })).toBe(1);

    w.sim.inject({ kind: 'down', service: S1 });
    const blind = await w.sweep();
    expect(blind.result).toBe('incomplete');
    expect(blind.counts).toMatchObject({ done: 4, unknown: 4, unrepairable: 0 });
    expect([...w.swept.values()]).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    // What it could not see is not reported as "no damage": the last completed sweep's picture stays.
    expect(await w.metric(UNREPAIRABLE)).toBe(1);
    expect(await w.metric(DAMAGED, { kind: 'missing-keys' })).toBe(1);
    expect(await w.metric(LAST_SUCCESS)).toBe(lastSuccess);
    expect(await w.metric('oio_repaird_unknown_containers')).toBe(4);
    expect(await w.metric('oio_repaird_sweep_incomplete')).toBe(1);
    expect(await w.metric(SWEEPS, { result: 'incomplete' })).toBe(1);
    expect(await w.checkpoint()).toBeNull();
    expect(w.mutations).toEqual([]);

    w.sim.inject({ kind: 'up', service: S1 });
    const back = await w.sweep();
    expect(back).toMatchObject({ result: 'completed', counts: { unknown: 0, unrepairable: 1 } });
    expect(await w.metric('oio_repaird_unknown_containers')).toBe(0);
    expect(await w.metric('oio_repaird_sweep_incomplete')).toBe(0);
    expect(await w.metric(LAST_SUCCESS)).toBeGreaterThanOrEqual(lastSuccess);
    await expectSafe(w);
  });

  it('a truncated (malformed JSON) answer makes that replica unseen: unknown, no repair', async () => {
    // The one bad answer is armed as the probe reads S2: the sweep's proxy check sends \`has\` to the
    // first peer located, S2 one time in three (the peers come shuffled), and must not meet it.
    let armed = false;
    const w: World = await start({
      containers: [box('c1', [S1, S2, S3])],
      wrapProxy: (p) => ({
        ...p,
        getProperties: (r, peer, o) => {
          if (peer === S2 && !armed) {
            armed = true;
            w.sim.inject({ kind: 'malformed-json', service: S2, count: 1 });
          }
          return p.getProperties(r, peer, o);
        },
      }),
    });
    await w.sweep();
    expect(w.swept.get(cid('c1'))).toBe('unknown');
    expect(await w.counts(PROBES, 'result')).toEqual({ ok: 2, unreachable: 1 });
    const detection = only(await w.entriesFor(A, 'c1'), 'detection');
    expect(detection.replicas.find((r) => r.peer === S2)?.detail).toContain('OIO_BAD_ANSWER');
    expect(w.mutations).toEqual([]);
    await expectSafe(w);
  });
});

describe('fault matrix: elections', () => {
  it.each(['no-master', 'multi-master'] as const)('%s: unknown, detected as such, no repair even with a damaged slave', async (problem) => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3])],
      faults: [{ kind: 'drop-keys', account: A, container: 'c1', peer: S3, keys: ['sys.m2.ctime'] }, { kind: problem, account: A, container: 'c1' }],
    });
    await w.sweep();
    expect(w.swept.get(cid('c1'))).toBe('unknown');
    expect(await w.counts(DETECTIONS, 'kind')).toEqual({ 'missing-keys': 1, [problem]: 1 });
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({});
    const entries = await w.entriesFor(A, 'c1');
    expect(types(entries)).toEqual(['detection']);
    expect(only(entries, 'detection').reason).toContain(problem);
    expect(w.mutations).toEqual([]);
    await expectSafe(w);
  });
});

describe('fault matrix: damage', () => {
  it('master damaged: it leaves, a healthy slave takes over, then it is synced; no sync while it was master', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3], S2)],
      faults: [{ kind: 'corrupt-base', account: A, container: 'c1', peer: S2 }],
    });
    await w.sweep();
    expect(w.swept.get(cid('c1'))).toBe('master-damaged');
    expect(await w.counts(DETECTIONS, 'kind')).toEqual({ 'corrupt-base': 1 });
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({ succeeded: 1 });
    expect(w.mutations.map((m) => m.route)).toEqual(['leave', 'sync']);
    expect(w.mutations[1]).toMatchObject({ peers: [S2], masterHealthy: true });
    expect(w.mutations[1]?.master).not.toBe(S2);
    const entries = await w.entriesFor(A, 'c1');
    expect(types(entries)).toEqual([
      'detection', 'step-start:leave', 'step-end:leave', 'step-start:await-master', 'step-end:await-master', 'verify',
      'evidence:sync', 'step-start:sync', 'step-end:sync', 'verify', 'repair',
    ]);
    expect(only(entries, 'detection').verdict).toBe('master-damaged');
    expect(only(entries, 'repair').outcome).toBe('succeeded');
    expect(w.sim.truth(cid('c1'))?.replicas.every((r) => r.base === 'ok')).toBe(true);
    await expectSafe(w);
  });

  it('two of three replicas damaged: refused, journaled, nothing sent', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3])],
      faults: [
        { kind: 'drop-keys', account: A, container: 'c1', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'missing-base', account: A, container: 'c1', peer: S3 },
      ],
    });
    const summary = await w.sweep();
    expect(w.swept.get(cid('c1'))).toBe('unrepairable');
    expect(summary.counts.unrepairable).toBe(1);
    expect(await w.metric('oio_repaird_unrepairable_containers')).toBe(1);
    expect(await w.counts(DETECTIONS, 'kind')).toEqual({ 'missing-keys': 1, 'missing-base': 1 });
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({ refused: 1 });
    const entries = await w.entriesFor(A, 'c1');
    expect(types(entries)).toEqual(['detection', 'repair']);
    expect(only(entries, 'detection').verdict).toBe('unrepairable');
    expect(only(entries, 'repair').outcome).toBe('refused');
    expect(w.mutations).toEqual([]);
    expect(w.sim.stats().syncCalls).toEqual({});
    await expectSafe(w);
  });
});

describe('fault matrix: the world changes between probe and repair', () => {
  it('a targeted slave goes down before the sync: the step fails with per-peer answers, the outcome is failed', async () => {
    const w = await start({
      containers: [box('c1', [S1, S2, S3, S4, S5])],
      faults: [
        { kind: 'drop-keys', account: A, container: 'c1', peer: S4, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: A, container: 'c1', peer: S5, keys: ['sys.m2.ctime'] },
      ],
    });
    await w.sweep(undefined, { beforeRepair: () => void w.sim.inject({ kind: 'down', service: S5 }) });
    expect(w.swept.get(cid('c1'))).toBe('repairable');
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({ failed: 1 });
    const entries = await w.entriesFor(A, 'c1');
    expect(types(entries)).toEqual(['detection', 'evidence:sync', 'step-start:sync', 'step-end:sync', 'verify', 'repair']);
    const end = only(entries, 'step-end');
    expect(end.status).toBe('failed');
    expect(end.answers).toHaveLength(2);
    expect(end.answers?.find((a) => a.peer === S4)).toMatchObject({ status: 200 });
    expect(end.answers?.find((a) => a.peer === S5)?.status).toBe(2);
    expect(end.detail).toContain(S5);
    expect(only(entries, 'repair').outcome).toBe('failed');
    // The reachable slave was synced; the dead one received nothing.
    expect(w.sim.stats().syncCalls).toEqual({ [S4]: 1 });
    await expectSafe(w);
  });

  it('the container is deleted between probe and repair (emulated: every call for it then answers 404): failed, not retried', async () => {
    // The simulator cannot delete a container, so a ProxyApi wrapper plays the deleted
    // container: once the repair starts, every call naming it throws OioNotFoundError.
    const deleted = new Set<string>();
    const gone = (r: ContainerRef, route: string): void => {
      if (deleted.has(r.cid)) throw new OioNotFoundError(`${route}: HTTP 404 (oio 406): Container not found`, { route, httpStatus: 404, oioStatus: 406 });
    };
    const wrapProxy = (p: ProxyApi): ProxyApi => ({
      ...p,
      locate: async (r, o) => { gone(r, 'reference/show'); return p.locate(r, o); },
      getProperties: async (r, peer, o) => { gone(r, 'admin/get_properties'); return p.getProperties(r, peer, o); },
      has: async (r, peers, o) => { gone(r, 'admin/has'); return p.has(r, peers, o); },
      status: async (r, peers, o) => { gone(r, 'admin/status'); return p.status(r, peers, o); },
      debug: async (r, peers, o) => { gone(r, 'admin/debug'); return p.debug(r, peers, o); },
      sync: async (r, peers, o) => { gone(r, 'admin/sync'); return p.sync(r, peers, o); },
      leave: async (r, peers, o) => { gone(r, 'admin/leave'); return p.leave(r, peers, o); },
      setProperties: async (r, system, o) => { gone(r, 'admin/set_properties'); return p.setProperties(r, system, o); },
      listServices: (type, o) => p.listServices(type, o),
    });
    const w = await start({
      containers: [box('c1', [S1, S2, S3])],
      faults: [{ kind: 'drop-keys', account: A, container: 'c1', peer: S3, keys: ['sys.m2.ctime'] }],
      wrapProxy,
    });
    await w.sweep(undefined, { beforeRepair: (report) => void deleted.add(report.ref.cid) });
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({ failed: 1 });
    const entries = await w.entriesFor(A, 'c1');
    expect(types(entries)).toEqual(['detection', 'evidence:sync', 'step-start:sync', 'step-end:sync', 'verify', 'repair']);
    expect(only(entries, 'step-end')).toMatchObject({ status: 'failed' });
    expect(only(entries, 'step-end').detail).toContain('OIO_NOT_FOUND');
    expect(only(entries, 'verify')).toMatchObject({ verdict: 'unknown' });
    expect(only(entries, 'repair').outcome).toBe('failed');
    expect(w.sim.stats().syncCalls).toEqual({});
    await expectSafe(w);
  });

  it('SIGTERM during a sync: the repair completes and is journaled, the sweep takes no new container and saves its position', async () => {
    const stop = new AbortController();
    const w = await start({
      containers: ['c1', 'c2', 'c3', 'c4', 'c5'].map((n) => box(n, [S1, S2, S3])),
      faults: [
        { kind: 'drop-keys', account: A, container: 'c2', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: A, container: 'c4', peer: S2, keys: ['sys.m2.ctime'] },
      ],
      // The signal arrives while the sync request is on the wire.
      wrapProxy: (p) => ({
        ...p,
        sync: (r, peers, o) => {
          const answer = p.sync(r, peers, o);
          stop.abort(new Error('SIGTERM'));
          return answer;
        },
      }),
    });
    const summary = await w.sweep(stop.signal);
    expect(summary.result).toBe('interrupted');
    expect(w.probedOrder).toEqual([`${A}/c1`, `${A}/c2`]);
    expect(summary.position).toEqual({ account: A, container: 'c2' });
    expect((await w.checkpoint())?.position).toEqual({ account: A, container: 'c2' });
    expect(await w.metric(SWEEPS, { result: 'interrupted' })).toBe(1);
    expect(await w.counts(REPAIRS, 'outcome')).toEqual({ succeeded: 1 });
    const c2 = await w.entriesFor(A, 'c2');
    expect(types(c2)).toEqual(['detection', 'evidence:sync', 'step-start:sync', 'step-end:sync', 'verify', 'repair']);
    expect(only(c2, 'step-end')).toMatchObject({ status: 'done', answers: [{ peer: S2, status: 200, message: 'OK' }] });
    expect(only(c2, 'repair').outcome).toBe('succeeded');
    expect(await w.entriesFor(A, 'c4')).toEqual([]);
    expect(w.sim.stats().syncCalls).toEqual({ [S2]: 1 });
    await expectSafe(w);
  });
  it('SIGTERM during a sync with the signal given to the repair: the sync on the wire is not cut, it is journaled done, then the repair stops', async () => {
    const stop = new AbortController();
    const w = await start({
      containers: [box('c1', [S1, S2, S3])],
      faults: [{ kind: 'drop-keys', account: A, container: 'c1', peer: S2, keys: ['sys.m2.ctime'] }],
      wrapProxy: (p) => ({
        ...p,
        sync: (r, peers, o) => {
          const answer = p.sync(r, peers, o);
          stop.abort(new Error('SIGTERM'));
          return answer;
        },
      }),
    });
    const ref = { cid: cid('c1'), account: A, container: 'c1' };
    const report = await w.probe(ref, { reqId: 'term' });
    expect(report.verdict).toBe('repairable');
    w.swept.set(ref.cid, report.verdict);
    const result = await w.repairWithSignal(report, 'term', stop.signal);
    expect(result.outcome).toBe('failed');
    expect(result.reason).toContain('interrupted');
    const entries = await w.entriesFor(A, 'c1');
    expect(types(entries)).toEqual(['evidence:sync', 'step-start:sync', 'step-end:sync', 'repair']);
    expect(only(entries, 'step-end')).toMatchObject({ status: 'done', answers: [{ peer: S2, status: 200, message: 'OK' }] });
    expect(w.sim.stats().syncCalls).toEqual({ [S2]: 1 });
    await expectSafe(w);
  });
});
