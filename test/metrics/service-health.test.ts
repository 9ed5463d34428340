// Per-service health: damaged replicas and repairs counted per meta2 service, with labels only
// for the services the conscience lists (pre-created at 0 so the first scrape already has them).
import { describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { MAX_SERVICE_LABELS, ServiceHealth } from '../../src/metrics/service-health.js';
import type { ContainerReport, ReplicaState } from '../../src/probe/types.js';
import type { RepairOutcome } from '../../src/repair/types.js';
import type { ContainerOutcome } from '../../src/sweep/process-container.js';
import { masterView, P1, P2, P3, replica, report } from '../helpers/tables.js';

const OUTSIDER = '10.9.9.9:6000';

async function series(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((found?.values ?? []).map((v) => [String(v.labels['service']), v.value]));
}

function of(cid: string, replicas: ReplicaState[], verdict: ContainerReport['verdict'] = 'repairable'): ContainerReport {
  const r = report(replicas, verdict, masterView(P2));
  return { ...r, ref: { ...r.ref, cid } };
}

function outcome(before: ContainerReport, after: ContainerReport = before, repairOutcome?: RepairOutcome): ContainerOutcome {
  return { report: before, final: after, ...(repairOutcome ? { repairOutcome } : {}) };
}

function setup(): { metrics: Metrics; health: ServiceHealth } {
  const metrics = createMetrics({ defaultMetrics: false });
  const health = new ServiceHealth(metrics);
  health.setServices([P1, P2, P3]);
  return { metrics, health };
}

const damagedP1 = (cid: string): ContainerReport => of(cid, [replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')]);
const healthy = (cid: string): ContainerReport => of(cid, [replica(P1, 'ok', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')], 'healthy');

describe('ServiceHealth', () => {
  it('has a series at 0 for every service the conscience lists, before any sweep', async () => {
    const { metrics } = setup();
    expect(await series(metrics, 'oio_repaird_service_damaged_replicas')).toEqual({ [P1]: 0, [P2]: 0, [P3]: 0 });
    expect(await series(metrics, 'oio_repaird_service_repairs_total')).toEqual({ [P1]: 0, [P2]: 0, [P3]: 0 });
  });

  it('counts damaged replicas per service as last probed: up when found, down once repaired', async () => {
    const { metrics, health } = setup();
    health.observe(outcome(damagedP1('A')));
    health.observe(outcome(damagedP1('B')));
    health.observe(outcome(of('C', [replica(P1, 'ok', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'corrupt-base', 'slave')])));
    expect(await series(metrics, 'oio_repaird_service_damaged_replicas')).toEqual({ [P1]: 2, [P2]: 0, [P3]: 1 });
    // A repaired: counted once as a repair of P1, no longer damaged.
    health.observe(outcome(damagedP1('A'), healthy('A'), 'succeeded'));
    // B seen again, still damaged: not counted twice.
    health.observe(outcome(damagedP1('B')));
    expect(await series(metrics, 'oio_repaird_service_damaged_replicas')).toEqual({ [P1]: 1, [P2]: 0, [P3]: 1 });
    expect(await series(metrics, 'oio_repaird_service_repairs_total')).toEqual({ [P1]: 1, [P2]: 0, [P3]: 0 });
  });

  it.each<[RepairOutcome | undefined, number]>([
    ['succeeded', 1], ['failed', 1], ['refused', 0], ['skipped_budget', 0], ['skipped_cooldown', 0], ['dry_run', 0], [undefined, 0],
  ])('counts a repair for the damaged replica\'s service when the outcome is %s: %i', async (repairOutcome, expected) => {
    const { metrics, health } = setup();
    health.observe(outcome(damagedP1('A'), damagedP1('A'), repairOutcome));
    expect((await series(metrics, 'oio_repaird_service_repairs_total'))[P1]).toBe(expected);
  });

  it('keeps what it knew of a container whose probe could not judge it (unknown)', async () => {
    const { metrics, health } = setup();
    health.observe(outcome(damagedP1('A')));
    health.observe(outcome(of('A', [replica(P1, 'unreachable', 'unknown')], 'unknown')));
    expect((await series(metrics, 'oio_repaird_service_damaged_replicas'))[P1]).toBe(1);
  });

  it('never labels a service the conscience does not list, however much damage it holds', async () => {
    const { metrics, health } = setup();
    const r = of('A', [replica(OUTSIDER, 'missing-base', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')]);
    for (let i = 0; i < 5; i++) health.observe(outcome(r, r, 'failed'));
    expect(Object.keys(await series(metrics, 'oio_repaird_service_damaged_replicas')).sort()).toEqual([P1, P2, P3]);
    expect(Object.keys(await series(metrics, 'oio_repaird_service_repairs_total')).sort()).toEqual([P1, P2, P3]);
    // Once listed, it shows what was seen meanwhile.
    health.setServices([P1, P2, P3, OUTSIDER]);
    expect((await series(metrics, 'oio_repaird_service_damaged_replicas'))[OUTSIDER]).toBe(1);
  });

  it('drops the series of a service the conscience no longer lists', async () => {
    const { metrics, health } = setup();
    health.setServices([P1, P2]);
    expect(Object.keys(await series(metrics, 'oio_repaird_service_damaged_replicas')).sort()).toEqual([P1, P2]);
    expect(Object.keys(await series(metrics, 'oio_repaird_service_repairs_total')).sort()).toEqual([P1, P2]);
  });

  it(`exports at most ${MAX_SERVICE_LABELS} services, however long the conscience's list`, async () => {
    const { metrics, health } = setup();
    health.setServices(Array.from({ length: MAX_SERVICE_LABELS + 500 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}:6000`));
    expect(Object.keys(await series(metrics, 'oio_repaird_service_damaged_replicas'))).toHaveLength(MAX_SERVICE_LABELS);
    expect(Object.keys(await series(metrics, 'oio_repaird_service_repairs_total'))).toHaveLength(MAX_SERVICE_LABELS);
  });
});
