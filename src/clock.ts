// The one clock of the daemon: the wall time (now), a monotonic reading for durations and
// deadlines, and an abortable sleep. Components that tests drive in time take a Clock (the sweep
// machinery, the repair executor, the fleet runner); everything else reads systemClock. Nothing
// else in src/ reads Date.now, performance.now or process.hrtime, or has its own sleep (src/sim
// keeps its own simulated time).
import { setTimeout as delay } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds since the epoch (wall time: timestamps, cooldowns, what an operator reads). */
  now(): number;
  /** Milliseconds from an arbitrary origin, never going back (durations, deadlines). */
  monotonic(): number;
  /**
   * Resolves after `ms`; rejects with the signal's reason if it aborts first. `unref`: the wait
   * alone does not keep the process alive (a retry loop that must not delay an exit).
   */
  sleep(ms: number, signal?: AbortSignal, opts?: { readonly unref?: boolean }): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: async (ms, signal, opts) => {
    if (signal?.aborted) throw signal.reason;
    try {
      await delay(Math.max(0, ms), undefined, { ...(signal ? { signal } : {}), ...(opts?.unref ? { ref: false } : {}) });
    } catch (err) {
      // node:timers/promises rejects with its own AbortError: callers see the signal's reason.
      throw signal?.aborted ? signal.reason : err;
    }
  },
};

/**
 * CLOCK_MONOTONIC in microseconds, for systemd's MONOTONIC_USEC (sd_notify on reload): systemd
 * compares it with its own reading of that clock, so it must be the kernel's clock itself, not
 * `monotonic()` (whose origin is the process start).
 */
export function kernelMonotonicMicros(): bigint {
  return process.hrtime.bigint() / 1000n;
}
