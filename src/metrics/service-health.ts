// Per-service health: which meta2 services hold damaged replicas, and how often replicas on each
// needed a repair (a service that keeps needing them likely has a failing disk or host). Fed with
// every container's outcome (sweeps and the suspects lane); exported as
// oio_repaird_service_damaged_replicas{service} and oio_repaird_service_repairs_total{service}.
// The label set is bounded to the meta2 services the conscience lists (setServices), each
// pre-created at 0; a peer the conscience does not list is tracked but never becomes a label.
// What is tracked is saved (src/daemon/service-health-file.ts) and restored at start, so the
// gauges do not drop to 0 at a restart and climb back only as the next sweep goes.
import type { Logger } from '../log.js';
import type { PeerId } from '../oio/types.js';
import { DAMAGE_KINDS } from '../probe/types.js';
import type { ContainerOutcome } from '../sweep/process-container.js';
import type { Metrics } from './metrics.js';

/** Services exported at most (a conscience listing more is cut, in sorted order, and logged). */
export const MAX_SERVICE_LABELS = 2048;
/** Damaged containers remembered at most; beyond, new ones are not counted (logged once). */
export const MAX_TRACKED_CONTAINERS = 100_000;

const DAMAGED: ReadonlySet<string> = new Set(DAMAGE_KINDS);

/** `<state.dir>/service-health.json`: the damaged containers and their services, so a restart keeps the gauges. */
export interface ServiceHealthSnapshot {
  readonly version: 1;
  readonly damaged: readonly (readonly [cid: string, services: readonly PeerId[]])[];
}

export class ServiceHealth {
  /** cid → the services holding its damaged replicas, as last probed. Only damaged containers. */
  private readonly damagedOf = new Map<string, readonly PeerId[]>();
  /** service → damaged replicas on it (sum over damagedOf). */
  private readonly damaged = new Map<PeerId, number>();
  private labelled = new Set<PeerId>();
  private warnedFull = false;
  private changed = false;

  constructor(
    private readonly metrics: Pick<Metrics, 'serviceDamagedReplicas' | 'serviceRepairs'>,
    private readonly log?: Logger,
  ) {}

  /** The meta2 services the conscience lists now: they, and only they, are labels. */
  setServices(services: readonly PeerId[]): void {
    const sorted = [...new Set(services)].sort();
    if (sorted.length > MAX_SERVICE_LABELS) this.log?.warn({ listed: sorted.length, exported: MAX_SERVICE_LABELS }, 'more meta2 services than per-service labels: the rest are not exported');
    const next = new Set(sorted.slice(0, MAX_SERVICE_LABELS));
    for (const gone of this.labelled) {
      if (next.has(gone)) continue;
      this.metrics.serviceDamagedReplicas.remove({ service: gone });
      this.metrics.serviceRepairs.remove({ service: gone });
    }
    for (const service of next) {
      if (this.labelled.has(service)) continue;
      this.metrics.serviceDamagedReplicas.set({ service }, this.damaged.get(service) ?? 0);
      this.metrics.serviceRepairs.inc({ service }, 0);
    }
    this.labelled = next;
  }

  /** One container probed (and maybe repaired): its damaged replicas now, and the repair run. */
  observe(outcome: ContainerOutcome): void {
    const { report, final } = outcome;
    if (outcome.repairOutcome === 'succeeded' || outcome.repairOutcome === 'failed') {
      for (const r of report.replicas) if (DAMAGED.has(r.health) && this.labelled.has(r.peer)) this.metrics.serviceRepairs.inc({ service: r.peer });
    }
    // An unknown verdict (a replica not seen) says nothing new about damage: keep what was known.
    if (final.verdict === 'unknown') return;
    this.setDamaged(report.ref.cid, final.replicas.filter((r) => DAMAGED.has(r.health)).map((r) => r.peer));
  }

  /** What to persist: each damaged container's services, as last probed (bounded like the map). */
  snapshot(): ServiceHealthSnapshot {
    return { version: 1, damaged: [...this.damagedOf].map(([cid, peers]) => [cid, [...peers]] as const) };
  }

  /** Takes back a snapshot (at start, before any probe): the gauges read as before the restart. */
  restore(snapshot: ServiceHealthSnapshot): void {
    for (const [cid, peers] of snapshot.damaged) this.setDamaged(cid, peers);
  }

  /** Changed since the last markSaved() (a save is worth it). */
  get dirty(): boolean {
    return this.changed;
  }

  markSaved(): void {
    this.changed = false;
  }

  /** Damaged replicas on `service` as last seen (labelled or not). */
  damagedOn(service: PeerId): number {
    return this.damaged.get(service) ?? 0;
  }

  private setDamaged(cid: string, peers: readonly PeerId[]): void {
    const before = this.damagedOf.get(cid) ?? [];
    if (peers.length > 0 && before.length === 0 && this.damagedOf.size >= MAX_TRACKED_CONTAINERS) {
      if (!this.warnedFull) this.log?.warn({ tracked: MAX_TRACKED_CONTAINERS }, 'too many damaged containers to count per service: newer ones are not counted');
      this.warnedFull = true;
      return;
    }
    if (before.length === 0 && peers.length === 0) return;
    this.changed = true;
    for (const p of before) this.add(p, -1);
    for (const p of peers) this.add(p, 1);
    if (peers.length > 0) this.damagedOf.set(cid, peers);
    else this.damagedOf.delete(cid);
  }

  private add(service: PeerId, delta: number): void {
    const n = (this.damaged.get(service) ?? 0) + delta;
    if (n > 0) this.damaged.set(service, n);
    else this.damaged.delete(service);
    if (this.labelled.has(service)) this.metrics.serviceDamagedReplicas.set({ service }, Math.max(0, n));
  }
}
