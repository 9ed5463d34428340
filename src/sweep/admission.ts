// Admission of a container into the sweep, in this order (why a slow meta2 service cannot stall it):
//   1. an admission-window slot (bounds the containers in flight, hence memory),
//   2. a rate-limiter token (probes per second),
//   3. locate (one cheap proxy call, not gated per service: the peers are not known before it),
//   4. the per-service slots of ALL its peers (sorted order: no deadlock),
//   5. a global concurrency slot, held only while probing/repairing.
// A container queued behind a busy service holds no global slot (step 5 comes last), so other
// containers keep probing; only the admission window (default 4 × concurrency) can fill up with
// containers of one slow service, and then the sweep runs at that service's pace, not stops.
// Without an injected `locate`, step 3 and 4 are skipped (global limits only).
import type { Logger } from '../log.js';
import type { ContainerRef, PeerId } from '../oio/types.js';
import type { Clock } from '../clock.js';
import { KeyedSemaphore, RateLimiter, sortedUnique, unlimitedRate, type Release } from './limiter.js';

export type LocateFn = (ref: ContainerRef, ctx: { readonly reqId: string }) => Promise<readonly PeerId[]>;

export interface AdmissionLimits {
  /** Containers probed/repaired at once. */
  readonly concurrency: number;
  /** Container probes started per second; 0 means unlimited. */
  readonly probesPerSecond: number;
  /** Containers probed at once that have a replica on the same meta2 service. */
  readonly perServiceConcurrency: number;
  /** Containers admitted but not finished, at most (default 4 × concurrency). */
  readonly admissionWindow?: number;
  /** Paces probes instead of a fixed probesPerSecond (the adaptive pace's limiter, src/schedule/). */
  readonly rateLimiter?: Pick<RateLimiter, 'take'>;
}

/** A container past step 5: its peers when located, and what to release when it is done. */
export interface Admitted {
  readonly peers?: readonly PeerId[];
  readonly release: Release;
}

const WINDOW_KEYS = ['admission'] as const;
const GLOBAL_KEYS = ['global'] as const;

export class Admission {
  /** Containers admitted but not finished, at most. */
  readonly windowSize: number;
  private readonly limiter: Pick<RateLimiter, 'take'>;
  private readonly services: KeyedSemaphore;
  private readonly slots: KeyedSemaphore;
  private readonly window: KeyedSemaphore;
  private readonly locateFn: LocateFn | undefined;
  private readonly log: Logger;

  constructor(limits: AdmissionLimits, clock: Clock, locate: LocateFn | undefined, log: Logger) {
    this.limiter = limits.rateLimiter ?? (limits.probesPerSecond > 0 ? new RateLimiter(limits.probesPerSecond, { clock }) : unlimitedRate);
    this.services = new KeyedSemaphore(limits.perServiceConcurrency);
    this.slots = new KeyedSemaphore(limits.concurrency);
    this.windowSize = Math.max(limits.concurrency, limits.admissionWindow ?? limits.concurrency * 4);
    this.window = new KeyedSemaphore(this.windowSize);
    this.locateFn = locate;
    this.log = log;
  }

  /** Step 1: a slot of the admission window, held until the container is done (synchronously when one is free). */
  enterWindow(stop: AbortSignal): Release | Promise<Release> {
    return this.window.tryAcquire(WINDOW_KEYS, stop) ?? this.window.acquire(WINDOW_KEYS, stop);
  }

  /** Steps 2 to 5. Throws only when `stop` aborts a wait; then nothing stays held. */
  async enter(ref: ContainerRef, reqId: string, stop: AbortSignal): Promise<Admitted> {
    if (this.limiter === unlimitedRate) {
      if (stop.aborted) throw stop.reason;
    } else {
      await this.limiter.take(stop);
    }
    let peers: readonly PeerId[] | undefined;
    if (this.locateFn) {
      try {
        peers = await this.locateFn(ref, { reqId });
      } catch (err) {
        // The probe will say why; the container is probed without the per-service gate.
        this.log.debug({ err, cid: ref.cid }, 'locate failed, probing without per-service gate');
      }
    }
    // Sorted once here, so that neither the try nor the wait copies them again.
    const keys = peers ? sortedUnique(peers) : undefined;
    const services = keys ? (this.services.tryAcquire(keys, stop) ?? (await this.services.acquire(keys, stop))) : undefined;
    let slot: Release;
    try {
      slot = this.slots.tryAcquire(GLOBAL_KEYS, stop) ?? (await this.slots.acquire(GLOBAL_KEYS, stop));
    } catch (err) {
      services?.();
      throw err;
    }
    // Released in the reverse order of taking: the global slot first, then the services'.
    const release: Release = services
      ? () => {
          slot();
          services();
        }
      : slot;
    return peers ? { peers, release } : { release };
  }
}
