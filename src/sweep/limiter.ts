// Flow control for the sweep: a token-bucket rate limiter (container probes per second) and a
// keyed semaphore (at most N concurrent probes per meta2 service). Both are FIFO and abortable.
//
// Deadlock freedom: KeyedSemaphore.acquire() takes a container's keys one at a time in sorted
// order, so two containers sharing services always contend in the same order (no cycle). The
// sweep takes the per-service keys BEFORE the global concurrency slot and never the other way
// round, so a container queued behind a slow service waits without holding a global slot
// (see sweep.ts for the whole admission order).
import { AbortFanout } from '../abort-fanout.js';
import { systemClock, type Clock } from '../clock.js';

export interface RateLimiterOptions {
  /** Tokens the bucket may hold (default: 5 % of a second's worth, at least 1, at most 1 s worth). */
  readonly burst?: number;
  readonly clock?: Clock;
}

/**
 * Token bucket with reservations: take() always debits a token, possibly driving the balance
 * negative, and waits until its own token has been refilled. Callers are therefore served in
 * call order and, over any window of T seconds, at most `rate * T + burst` takes complete.
 */
export class RateLimiter {
  private currentRate: number;
  private currentBurst: number;
  private readonly explicitBurst: number | undefined;
  private readonly clock: Clock;
  private tokens: number;
  private refilledAt: number;

  constructor(ratePerSecond: number, opts: RateLimiterOptions = {}) {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSecond}`);
    this.currentRate = ratePerSecond;
    this.explicitBurst = opts.burst;
    this.currentBurst = burstFor(ratePerSecond, opts.burst);
    this.clock = opts.clock ?? systemClock;
    this.tokens = this.burst;
    this.refilledAt = this.clock.now();
  }

  get rate(): number {
    return this.currentRate;
  }

  get burst(): number {
    return this.currentBurst;
  }

  /**
   * A new rate from now on (the adaptive pace): tokens earned so far are counted at the old rate;
   * callers already waiting keep their slot, later ones are paced at the new rate.
   */
  setRate(ratePerSecond: number): void {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSecond}`);
    this.refill();
    this.currentRate = ratePerSecond;
    this.currentBurst = burstFor(ratePerSecond, this.explicitBurst);
    this.tokens = Math.min(this.tokens, this.currentBurst);
  }

  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens / this.currentRate) * 1000;
    try {
      await this.clock.sleep(waitMs, signal);
    } catch (err) {
      this.tokens += 1; // the reservation is given back; later callers keep their (later) slots
      throw err;
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.refilledAt) / 1000;
    this.refilledAt = now;
    this.tokens = Math.min(this.currentBurst, this.tokens + elapsed * this.currentRate);
  }
}

function burstFor(rate: number, explicit: number | undefined): number {
  const fallback = Math.max(1, Math.ceil(rate * 0.05));
  return Math.max(1, Math.min(explicit ?? fallback, Math.max(1, rate)));
}

/** A limiter that never waits (probesPerSecond: 0 means unlimited). */
export const unlimitedRate: Pick<RateLimiter, 'take'> = { take: async (signal) => signal?.throwIfAborted() };

/** Gives back everything an acquire() took. Idempotent. */
export type Release = () => void;

interface KeyState {
  holders: number;
  readonly waiters: Array<() => void>;
}

/**
 * At most `capPerKey` concurrent holders per key. State exists only for keys currently held or
 * awaited, so the map stays as small as the set of busy services.
 */
export class KeyedSemaphore {
  readonly capPerKey: number;
  private readonly keys = new Map<string, KeyState>();
  /** One abort listener per signal for all waiters (a sweep's waits share its signal). */
  private readonly fanout = new AbortFanout();

  constructor(capPerKey: number) {
    if (!(capPerKey >= 1)) throw new RangeError(`per-key cap must be >= 1, got ${capPerKey}`);
    this.capPerKey = capPerKey;
  }

  /**
   * Takes every key (duplicates ignored) in sorted order; on abort releases what it had taken.
   * Free keys are taken at once, without a promise each; only a busy key is waited for. A sorted
   * `keys` array is kept as is until the release: do not change it meanwhile.
   */
  async acquire(keys: readonly string[], signal?: AbortSignal): Promise<Release> {
    const ordered = sortedUnique(keys);
    let taken = 0;
    try {
      for (const key of ordered) {
        const wait = this.acquireOne(key, signal);
        if (wait !== undefined) await wait;
        taken++;
      }
    } catch (err) {
      for (let i = 0; i < taken; i++) this.releaseOne(ordered[i] as string);
      throw err;
    }
    return this.releaser(ordered);
  }

  /**
   * Takes every key at once when all of them are free now (a holder slot left and nobody queued,
   * so no waiter is overtaken), else takes nothing and returns undefined: the caller then waits
   * in acquire(). Throws the signal's reason when it is aborted, as acquire() does. Nothing is
   * ever held while waiting, so it cannot deadlock either. Spares the sweep a promise per key.
   */
  tryAcquire(keys: readonly string[], signal?: AbortSignal): Release | undefined {
    if (signal?.aborted) throw signal.reason;
    for (const key of keys) {
      const state = this.keys.get(key);
      if (state !== undefined && (state.holders >= this.capPerKey || state.waiters.length > 0)) return undefined;
    }
    const held = sortedUnique(keys);
    for (const key of held) {
      let state = this.keys.get(key);
      if (!state) {
        state = { holders: 0, waiters: [] };
        this.keys.set(key, state);
      }
      state.holders += 1;
    }
    return this.releaser(held);
  }

  /** Current holders of a key (for tests and debugging). */
  holders(key: string): number {
    return this.keys.get(key)?.holders ?? 0;
  }

  /** Keys with state (held or awaited). */
  get size(): number {
    return this.keys.size;
  }

  private releaser(held: readonly string[]): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of held) this.releaseOne(key);
    };
  }

  /** Takes `key` now (undefined) or returns the wait for it. */
  private acquireOne(key: string, signal?: AbortSignal): Promise<void> | undefined {
    signal?.throwIfAborted();
    let state = this.keys.get(key);
    if (!state) {
      state = { holders: 0, waiters: [] };
      this.keys.set(key, state);
    }
    if (state.holders < this.capPerKey && state.waiters.length === 0) {
      state.holders += 1;
      return undefined;
    }
    const queued = state;
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        if (signal) this.fanout.delete(signal, onAbort);
        resolve();
      };
      const onAbort = (reason: unknown): void => {
        const i = queued.waiters.indexOf(grant);
        if (i >= 0) queued.waiters.splice(i, 1);
        this.forgetIfIdle(key, queued);
        reject(reason);
      };
      queued.waiters.push(grant);
      if (signal) this.fanout.add(signal, onAbort);
    });
  }

  private releaseOne(key: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    const next = state.waiters.shift();
    if (next) {
      next(); // the slot passes straight to the next waiter: holders stays the same
      return;
    }
    state.holders -= 1;
    this.forgetIfIdle(key, state);
  }

  private forgetIfIdle(key: string, state: KeyState): void {
    if (state.holders === 0 && state.waiters.length === 0 && this.keys.get(key) === state) this.keys.delete(key);
  }
}

/** The keys in sorted order without duplicates; the array itself when it already is (then no copy). */
export function sortedUnique(keys: readonly string[]): readonly string[] {
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) return [...new Set(keys)].sort();
  }
  return keys;
}
