// How long a sweep has been active (walking, not paused outside its time windows), across the
// runs of a resumed sweep: the earlier runs' total plus this run's. Feeds the progress rate,
// the checkpoint and the sweep-duration histogram.
import type { Clock } from '../clock.js';

export class ActiveClock {
  private readonly clock: Clock;
  /** Active milliseconds of the earlier runs of this sweep (from its checkpoint). */
  private readonly baseMs: number;
  /** Active milliseconds of this run before its current stretch. */
  private stretchesMs = 0;
  private since: number | null;

  /** Starts running at once. */
  constructor(clock: Clock, baseMs: number) {
    this.clock = clock;
    this.baseMs = baseMs;
    this.since = clock.now();
  }

  /** Stops counting (a pause, or the end of the walk); no-op when already stopped. */
  stop(): void {
    if (this.since === null) return;
    this.stretchesMs += this.clock.now() - this.since;
    this.since = null;
  }

  /** Counts again from now. */
  start(): void {
    this.since = this.clock.now();
  }

  /** Active milliseconds of this run. */
  thisRunMs(): number {
    return this.stretchesMs + (this.since === null ? 0 : this.clock.now() - this.since);
  }

  /** Active milliseconds of the whole sweep, earlier runs included. */
  totalMs(): number {
    return this.baseMs + this.thisRunMs();
  }
}
