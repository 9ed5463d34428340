// When and how a sweep saves its resume checkpoint: every `every` finished containers or every
// `intervalMs`, whichever comes first, plus on demand (a pause, the end). Saves run one at a
// time; requests made while one runs are coalesced into the next. A failed save is logged, never
// thrown: the sweep goes on and the next save carries the position further.
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import type { SweepCheckpoint, SweepStateStore } from './state.js';

export interface CheckpointPolicy {
  /** Save every this many finished containers (default 500)… */
  readonly every?: number;
  /** …or this often (default 10 s). */
  readonly intervalMs?: number;
}

export class CheckpointSaver {
  private readonly store: SweepStateStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly snapshot: () => SweepCheckpoint;
  private readonly every: number;
  private readonly intervalMs: number;
  private doneSinceSave = 0;
  private lastSaveAt: number;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;

  /** `snapshot` builds the checkpoint at the moment the save runs. */
  constructor(store: SweepStateStore, clock: Clock, log: Logger, snapshot: () => SweepCheckpoint, policy: CheckpointPolicy) {
    this.store = store;
    this.clock = clock;
    this.log = log;
    this.snapshot = snapshot;
    this.every = policy.every ?? 500;
    this.intervalMs = policy.intervalMs ?? 10_000;
    this.lastSaveAt = clock.now();
  }

  /** One more container finished: saves when `every` or `intervalMs` says so. */
  containerDone(): void {
    this.doneSinceSave += 1;
    if (this.doneSinceSave >= this.every || this.clock.now() - this.lastSaveAt >= this.intervalMs) void this.save();
  }

  /** Saves the current checkpoint; coalesces requests made while a save is running. */
  save(): Promise<void> {
    if (this.queued) return this.chain;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      this.doneSinceSave = 0;
      this.lastSaveAt = this.clock.now();
      try {
        await this.store.save(this.snapshot());
      } catch (err) {
        this.log.error({ err }, 'saving the sweep position failed');
      }
    });
    return this.chain;
  }

  /** Resolves when the saves requested so far have ended. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Nothing left to resume: removes the checkpoint (after the pending saves). */
  async clear(): Promise<void> {
    await this.chain;
    try {
      await this.store.clear();
    } catch (err) {
      this.log.error({ err }, 'clearing the sweep position failed');
    }
  }
}
