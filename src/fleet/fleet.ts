// Fleet mode assembled for the daemon: the membership (member.ts), the walks per epoch
// (runner.ts), the repair wrapper that takes the container's lock and the fleet budget before
// the first mutating request, the fence on the repair proxy, readiness and metrics. Created only
// when the configuration has a `fleet` section; without it none of this exists.
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import type { ReasonCode } from '../decisions/codes.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RepairFn } from '../sweep/process-container.js';
import type { FleetBudgetLimits } from './budget.js';
import { FleetMember, type FleetLock } from './member.js';
import { FleetSweeps, type RunWalk } from './runner.js';

export type FleetConfig = NonNullable<Config['fleet']>;

/** Thrown by the repair wrapper when another member holds the container's lock: nothing was sent. */
export class FleetLockHeld extends Error {
  readonly code = 'FLEET_LOCK_HELD';
  /** The executor reports it as skipped (the other member is repairing it), not failed: a cooldown's outcome, its own code. */
  readonly outcome = 'skipped_cooldown';
  readonly reasonCode = 'SKIPPED_FLEET_LOCK' satisfies ReasonCode;
  constructor(cid: string) {
    super(`another fleet member holds the lock of ${cid}: it is repairing it`);
    this.name = 'FleetLockHeld';
  }
}

export function fleetRoot(fleet: FleetConfig, namespace: string): string {
  return fleet.root ?? `/oio-repaird/${namespace}`;
}

export interface FleetDeps {
  readonly config: FleetConfig;
  readonly namespace: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The fleet-wide budget (repair.budgetPerHour, repair.maxPerSweep per epoch), read at each reservation. */
  readonly limits: () => FleetBudgetLimits;
}

export class Fleet {
  readonly member: FleetMember;
  private sweeps: FleetSweeps | null = null;
  private readonly deps: FleetDeps;
  private publisher: NodeJS.Timeout | undefined;

  constructor(deps: FleetDeps) {
    this.deps = deps;
    const c = deps.config;
    this.member = new FleetMember({
      zookeeper: c.zookeeper,
      root: fleetRoot(c, deps.namespace),
      memberId: c.memberId ?? hostname(),
      sessionTimeoutMs: c.sessionTimeoutMs,
      opTimeoutMs: c.opTimeoutMs,
      log: deps.log.child({ component: 'fleet' }),
    });
    deps.metrics.fleet.enabled.set(1);
    deps.metrics.fleet.expectedMembers.set(c.expectedMembers ?? 0);
    deps.metrics.fleet.sessionUp.set(0);
    this.member.on('change', () => this.publish());
  }

  /** Joins the fleet and starts walking epochs with `runWalk`. */
  start(runWalk: RunWalk): void {
    this.member.start();
    this.sweeps = new FleetSweeps({ member: this.member, runWalk, log: this.deps.log.child({ component: 'fleet' }), onChange: () => this.publish() });
    this.sweeps.start();
    this.publisher = setInterval(() => this.publish(), 5000);
    this.publisher.unref();
  }

  /** The schedule fired: the leader starts the next epoch (the others do nothing). */
  onSchedule(): Promise<void> {
    return this.sweeps?.onSchedule() ?? Promise.resolve();
  }

  /** Why the daemon is not ready (fenced), or null. */
  notReadyReason(): string | null {
    if (this.member.mayMutate()) return null;
    return `fleet: ZooKeeper session ${this.member.sessionState} (${this.deps.config.zookeeper}): fenced, no probing and no repair until it is back`;
  }

  fenceReason(cid: string): string | null {
    return this.member.fenceReason(cid);
  }

  onFenced(): void {
    this.deps.metrics.fleet.fencedRequests.inc();
  }

  /**
   * Before the first mutating request (after the local gate's reservation is on disk): the
   * container's fleet lock, then one repair of the fleet budget. The lock is dropped at the end.
   */
  wrapRepair(repair: RepairFn): RepairFn {
    return async (report, ctx) => {
      let lock: FleetLock | null = null;
      const before = ctx.beforeFirstMutation;
      try {
        return await repair(report, {
          ...ctx,
          beforeFirstMutation: async () => {
            await before?.();
            lock = await this.member.lock(report.ref.cid);
            if (!lock) {
              this.deps.metrics.fleet.lockContention.inc();
              throw new FleetLockHeld(report.ref.cid);
            }
            await this.member.reserveRepair(this.deps.limits());
            this.publish();
          },
        });
      } finally {
        await (lock as FleetLock | null)?.release();
      }
    };
  }

  publish(): void {
    const m = this.member;
    const f = this.deps.metrics.fleet;
    const up = m.mayMutate();
    f.sessionUp.set(up ? 1 : 0);
    f.members.set(up ? m.members.length : 0);
    const owned = m.ownedBuckets();
    f.ownedBuckets.set(owned.size);
    let ownedDone = 0;
    for (const b of owned) if (m.isDone(b)) ownedDone += 1;
    f.ownedBucketsDone.set(ownedDone);
    f.epoch.set(m.epoch?.epoch ?? 0);
    f.bucketsDone.set(m.doneBuckets());
    f.leader.set(m.isLeader ? 1 : 0);
    f.budgetRemaining.set(m.budgetRemaining(this.deps.limits()));
  }

  async stop(): Promise<void> {
    clearInterval(this.publisher);
    await this.sweeps?.stop();
    await this.member.stop();
  }
}
