// End to end: the built daemon sweeps a generated namespace of 3,000 containers (3 % damaged
// with the default mix: slave and master damage, and two-of-three with no healthy quorum)
// through a recording forwarder to the simulator, and is judged from the outside only: the
// simulator's ground truth, the recorded wire calls, the journal file, /metrics and the logs.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import type { JournalEntry } from '../../src/journal/types.js';
import { readJournal, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { containerKey, startRecordingProxy, type RecordedCall } from './recording-proxy.js';
import { damagedContainers, expectedHealth, listNamespace, truthProblems } from './sim-truth.js';

const CONTAINERS = 3000;
const REPLICAS = 3;
const MUTATING_ROUTES = ['admin/sync', 'admin/leave', 'admin/set_properties'];

type Entry<T extends JournalEntry['type']> = Extract<JournalEntry, { type: T }>;

function ofType<T extends JournalEntry['type']>(entries: readonly JournalEntry[], type: T): Entry<T>[] {
  return entries.filter((e): e is Entry<T> => e.type === type);
}

describe('a full sweep of a generated namespace', () => {
  it('finds every injected fault, repairs and verifies every repairable one, refuses the rest, and journals and counts it all', { timeout: 90_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: CONTAINERS, accounts: 3, damagedShare: 0.03, seed: 7 } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    const byClass = (c: string) => damaged.filter((d) => d.damage === c);
    const repairable = damaged.filter((d) => d.damage !== 'unrepairable');
    const unrepairable = byClass('unrepairable');
    // The namespace must exercise every class for this test to mean anything.
    expect(byClass('slave').length).toBeGreaterThan(10);
    expect(byClass('master').length).toBeGreaterThan(5);
    expect(unrepairable.length).toBeGreaterThan(5);
    const unrepairableBefore = new Map(unrepairable.map((d) => [d.cid, sim.truth(d.cid)]));
    const namespace = await listNamespace(sim);
    expect(namespace).toHaveLength(CONTAINERS);
    const damagedKeys = new Set(damaged.map((d) => containerKey(d.account, d.container)));
    const keyOfCid = new Map(damaged.map((d) => [d.cid, containerKey(d.account, d.container)]));

    const recorder = await startRecordingProxy(sim.url);
    onTestFinished(() => recorder.close());
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig({ proxyUrl: recorder.url, namespace: sim.namespace, stateDir: dir }));
    const daemon = await startDaemon(config);

    const done = await daemon.waitForNth('sweep done', 1, { timeoutMs: 75_000 });
    const metrics = await daemon.scrape();
    const journal = await readJournal(join(dir, 'journal.jsonl'));
    const calls = [...recorder.calls];

    // --- The sweep covered the namespace -------------------------------------------------
    expect(done['result']).toBe('completed');
    expect(done['done']).toBe(CONTAINERS);
    const probed = recorder.containersWith('admin/get_properties');
    // `<`: the sweep's proxy check (src/probe/proxy-guard.ts) also reads one non-peer of its first container.
    const unprobed = namespace.filter((c) => new Set(probed.get(containerKey(c.account, c.container))?.map((x) => x.serviceId)).size < REPLICAS);
    expect(unprobed, 'containers not probed on all their replicas').toEqual([]);

    // --- Every injected fault detected --------------------------------------------------
    const detections = ofType(journal, 'detection');
    expect(new Set(detections.map((d) => d.cid))).toEqual(new Set(damaged.map((d) => d.cid)));
    const expectedDetections: Record<string, number> = {};
    for (const d of damaged) {
      const detection = detections.find((e) => e.cid === d.cid);
      expect(detection?.verdict, `${d.account}/${d.container} (${d.damage})`).toBe(d.damage === 'unrepairable' ? 'unrepairable' : d.damage === 'master' ? 'master-damaged' : 'repairable');
      for (const f of d.faults) {
        const kind = expectedHealth(f);
        expectedDetections[kind] = (expectedDetections[kind] ?? 0) + 1;
        // The journal names the damaged peer and what is wrong with it.
        expect(detection?.replicas.find((r) => r.peer === f.peer)?.health, `${d.cid} ${f.peer}`).toBe(kind);
      }
      // …and only that peer (or those peers).
      expect(detection?.replicas.filter((r) => r.health !== 'ok').map((r) => r.peer).sort()).toEqual(d.faults.map((f) => f.peer).sort());
    }
    expect(metrics.nonZeroByLabel('oio_repaird_detections_total', 'kind')).toEqual(expectedDetections);

    // --- Every repairable container repaired, and the repair verified --------------------
    for (const d of repairable) {
      expect(truthProblems(sim.truth(d.cid)), `${d.account}/${d.container} (${d.damage}: ${d.faults.map((f) => f.kind).join(',')})`).toEqual([]);
      const entries = journal.filter((e) => e.cid === d.cid);
      const last = entries[entries.length - 1];
      expect(last?.type === 'repair' && last.outcome, `${d.cid}: final journal entry`).toBe('succeeded');
      const verifies = ofType(entries, 'verify');
      expect(verifies[verifies.length - 1]?.verdict).toBe('healthy');
    }

    // --- Unsafe ones refused, and nothing touched them -----------------------------------
    for (const d of unrepairable) {
      expect(sim.truth(d.cid), `${d.cid} changed`).toEqual(unrepairableBefore.get(d.cid));
      const entries = journal.filter((e) => e.cid === d.cid);
      expect(entries.map((e) => e.type)).toEqual(['detection', 'repair']);
      expect(entries[1]?.type === 'repair' && entries[1].outcome).toBe('refused');
    }
    const mutating = calls.filter((c) => MUTATING_ROUTES.includes(c.route));
    const mutatedKey = (c: RecordedCall): string | undefined => (c.account !== undefined && c.container !== undefined ? containerKey(c.account, c.container) : keyOfCid.get(c.cid ?? ''));
    const unrepairableKeys = new Set(unrepairable.map((d) => containerKey(d.account, d.container)));
    expect(mutating.filter((c) => unrepairableKeys.has(mutatedKey(c) ?? '')), 'sync/leave/set_properties on an unrepairable container').toEqual([]);
    // Every mutating call was on a damaged container, and the simulator saw exactly those.
    expect(mutating.filter((c) => !damagedKeys.has(mutatedKey(c) ?? ''))).toEqual([]);
    const simStats = sim.stats();
    const perPeer = (route: string): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const c of mutating.filter((x) => x.route === route)) for (const p of (c.serviceId ?? '').split(',')) out[p] = (out[p] ?? 0) + 1;
      return out;
    };
    expect(simStats.syncCalls).toEqual(perPeer('admin/sync'));
    expect(simStats.leaveCalls).toEqual(perPeer('admin/leave'));

    // --- The metrics say what was injected ----------------------------------------------
    expect(metrics.nonZeroByLabel('oio_repaird_repairs_total', 'outcome')).toEqual({ succeeded: repairable.length, refused: unrepairable.length });
    const remainingDamage: Record<string, number> = { 'missing-keys': 0, 'malformed-keys': 0, 'missing-base': 0, 'corrupt-base': 0 };
    for (const d of unrepairable) for (const f of d.faults) remainingDamage[expectedHealth(f)] = (remainingDamage[expectedHealth(f)] ?? 0) + 1;
    expect(metrics.byLabel('oio_repaird_damaged_replicas', 'kind')).toEqual(remainingDamage);
    expect(metrics.value('oio_repaird_unrepairable_containers')).toBe(unrepairable.length);
    expect(metrics.value('oio_repaird_sweeps_total', { result: 'completed' })).toBe(1);
    expect(metrics.value('oio_repaird_sweep_containers_total')).toBe(CONTAINERS);
    expect(metrics.value('oio_repaird_sweep_in_progress')).toBe(0);
    expect(metrics.value('oio_repaird_probes_total', { result: 'error' })).toBe(0);
    expect(metrics.value('oio_repaird_probes_total')).toBe(CONTAINERS * REPLICAS);
    expect(metrics.value('oio_repaird_repair_budget_remaining')).toBe(100_000 - repairable.length);
    expect(metrics.value('oio_repaird_last_sweep_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 120);

    // --- The journal is complete: no step without its end, every repair with its outcome --
    const starts = ofType(journal, 'step-start');
    const ends = ofType(journal, 'step-end');
    expect(starts.every((s) => !s.dryRun)).toBe(true);
    expect(starts.length).toBeGreaterThanOrEqual(repairable.length);
    for (const s of starts) {
      const at = journal.indexOf(s);
      const matching = ends.filter((e) => e.reqId === s.reqId && e.round === s.round && JSON.stringify(e.step) === JSON.stringify(s.step));
      expect(matching, `step-end of ${s.reqId} round ${s.round} ${s.step.kind}`).toHaveLength(1);
      expect(journal.indexOf(matching[0] as JournalEntry)).toBeGreaterThan(at);
    }
    expect(ends.length).toBe(starts.length);
    const repairsByCid = new Map<string, number>();
    for (const r of ofType(journal, 'repair')) repairsByCid.set(r.cid, (repairsByCid.get(r.cid) ?? 0) + 1);
    expect([...repairsByCid.keys()].sort()).toEqual(damaged.map((d) => d.cid).sort());
    expect([...repairsByCid.values()].every((n) => n === 1)).toBe(true);

    // --- A healthy container costs R+1 requests (locate + one read per replica), nothing else --
    const perContainer = new Map<string, Map<string, number>>();
    for (const c of calls) {
      if (c.account === undefined || c.container === undefined) continue;
      const key = containerKey(c.account, c.container);
      const routes = perContainer.get(key) ?? new Map<string, number>();
      routes.set(c.route, (routes.get(c.route) ?? 0) + 1);
      perContainer.set(key, routes);
    }
    const costly: string[] = [];
    // Once per sweep, the proxy check (src/probe/proxy-guard.ts) adds a second reference/show (its
    // own sign of the proxy's line), a `has` of one peer and a read of one non-peer to the first
    // container it meets.
    const proxyCheck = JSON.stringify({ 'reference/show': 2, 'admin/get_properties': REPLICAS + 1, 'admin/has': 1 });
    let proxyChecks = 0;
    for (const c of namespace) {
      const key = containerKey(c.account, c.container);
      if (damagedKeys.has(key)) continue;
      const routes = perContainer.get(key) ?? new Map<string, number>();
      const total = [...routes.values()].reduce((a, b) => a + b, 0);
      const sorted = JSON.stringify(Object.fromEntries([...routes].sort(([a], [b]) => (a === 'reference/show' ? -1 : b === 'reference/show' ? 1 : a.localeCompare(b)))));
      if (sorted === proxyCheck && proxyChecks++ === 0) continue;
      if (total > REPLICAS + 1 || routes.size !== 2) costly.push(`${key}: ${JSON.stringify(Object.fromEntries(routes))}`);
    }
    expect(costly, 'healthy containers that cost more than R+1 requests').toEqual([]);

    // --- The progress lines and the final line ------------------------------------------
    expect(daemon.rawLines).toEqual([]);
    expect(daemon.logs('sweep progress').length).toBeGreaterThan(0);
    expect(done['counts']).toMatchObject({ done: CONTAINERS, damagedContainers: damaged.length, unrepairable: unrepairable.length, probeErrors: 0 });
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
    expect(daemon.lines[daemon.lines.length - 1]?.msg).toBe('stopped');
  });
});
