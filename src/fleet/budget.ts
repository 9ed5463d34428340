// The fleet-wide repair budget: one ZooKeeper node (`<root>/budget`) holding the start times of
// the fleet's repairs in the last hour and what the current epoch has spent. A member reserves
// one repair by compare-and-set on the node's version before its first mutating request, so
// concurrent members can never overspend. The decision is pure (reserveRepair); the CAS loop
// around it is in FleetBudget.
import type { ZkSession } from './zk.js';
import { isZkError } from './zk.js';

const HOUR_MS = 3_600_000;

export interface FleetBudgetState {
  readonly version: 1;
  /** Start times (ms) of the fleet's repairs in the last hour, oldest first. */
  readonly hourly: readonly number[];
  /** The epoch `epochUsed` counts for. */
  readonly epoch: number;
  readonly epochUsed: number;
}

export interface FleetBudgetLimits {
  readonly maxPerHour: number;
  /** Per fleet sweep (epoch). */
  readonly maxPerSweep: number;
}

export type Reservation =
  | { readonly ok: true; readonly next: FleetBudgetState }
  | { readonly ok: false; readonly reason: string };

export function emptyBudget(): FleetBudgetState {
  return { version: 1, hourly: [], epoch: 0, epochUsed: 0 };
}

export function parseBudget(data: Buffer): FleetBudgetState {
  try {
    const v = JSON.parse(data.toString('utf8')) as Partial<FleetBudgetState>;
    if (!Array.isArray(v.hourly) || typeof v.epoch !== 'number' || typeof v.epochUsed !== 'number') return emptyBudget();
    return { version: 1, hourly: v.hourly.filter((t): t is number => typeof t === 'number'), epoch: v.epoch, epochUsed: v.epochUsed };
  } catch {
    return emptyBudget();
  }
}

/** One more repair for `epoch` at `now`, or why not. Pure. */
export function reserveRepair(state: FleetBudgetState, limits: FleetBudgetLimits, epoch: number, now: number): Reservation {
  const hourly = state.hourly.filter((t) => t > now - HOUR_MS);
  const epochUsed = state.epoch === epoch ? state.epochUsed : 0;
  if (epochUsed >= limits.maxPerSweep) return { ok: false, reason: `fleet per-sweep budget of ${limits.maxPerSweep} spent (epoch ${epoch})` };
  if (hourly.length >= limits.maxPerHour) return { ok: false, reason: `fleet per-hour budget of ${limits.maxPerHour} spent` };
  return { ok: true, next: { version: 1, hourly: [...hourly, now], epoch: Math.max(epoch, state.epoch), epochUsed: epochUsed + 1 } };
}

/** Repairs the fleet may still start now in `epoch`. Pure. */
export function budgetRemaining(state: FleetBudgetState, limits: FleetBudgetLimits, epoch: number, now: number): number {
  const hourly = state.hourly.filter((t) => t > now - HOUR_MS).length;
  const epochUsed = state.epoch === epoch ? state.epochUsed : 0;
  return Math.max(0, Math.min(limits.maxPerSweep - epochUsed, limits.maxPerHour - hourly));
}

/** Thrown when the fleet budget refuses: the executor reports `skipped_budget`, nothing sent. */
export class FleetBudgetSpent extends Error {
  readonly code = 'FLEET_BUDGET_SPENT';
  readonly outcome = 'skipped_budget';
  constructor(reason: string) {
    super(reason);
    this.name = 'FleetBudgetSpent';
  }
}

export class FleetBudget {
  /** The last state read (for the remaining-budget gauge). */
  last: FleetBudgetState = emptyBudget();

  constructor(private readonly path: string) {}

  /**
   * Reserves one repair by CAS (bounded retries when members race); throws FleetBudgetSpent
   * when the fleet's budget is spent, a ZkError when ZooKeeper cannot tell.
   */
  async reserve(zk: ZkSession, limits: FleetBudgetLimits, epoch: number, now: () => number): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const node = await zk.get(this.path);
      const state = node ? parseBudget(node.data) : emptyBudget();
      this.last = state;
      const r = reserveRepair(state, limits, epoch, now());
      if (!r.ok) throw new FleetBudgetSpent(r.reason);
      const data = Buffer.from(JSON.stringify(r.next));
      try {
        if (node) await zk.set(this.path, data, node.version);
        else await zk.create(this.path, data);
        this.last = r.next;
        return;
      } catch (err) {
        // Another member wrote first: read again and decide again.
        if (!isZkError(err, 'ZK_BAD_VERSION') && !isZkError(err, 'ZK_NODE_EXISTS')) throw err;
      }
    }
    throw new FleetBudgetSpent('the fleet budget node kept changing under 50 attempts: not reserved');
  }

  /** Reads the node again (for the gauge). */
  async refresh(zk: ZkSession): Promise<FleetBudgetState> {
    const node = await zk.get(this.path);
    this.last = node ? parseBudget(node.data) : emptyBudget();
    return this.last;
  }
}
