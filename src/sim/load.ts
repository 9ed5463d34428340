// The simulator's load model: the proxy and each meta2 service have a capacity (workers, each
// busy `serviceMs` per request), requests beyond it wait in a FIFO queue, so latency grows as
// load nears capacity, and an overload answers as the real proxy does: a wait past the
// request's x-oio-timeout is 503 "Deadline reached: Timeout (…s) to PEER", a meta2 queue wait
// past meta.queue.max_delay is 503 {"status":504,"message":"Queued for too long"}. Optional
// background client traffic shares the same workers and can be changed while running.
// Off (no capacity) by default: nothing here runs unless a scenario or the command line asks.
import type { PeerId } from '../oio/types.js';

export interface StationSpec {
  /** Requests served at once (the proxy's or the meta2 service's worker threads). */
  readonly workers: number;
  /** Time one request keeps a worker busy, in ms. */
  readonly serviceMs: number;
}

export interface LoadSpec {
  /** The proxy's capacity: its worker holds a request for serviceMs plus its meta2 calls. */
  readonly proxy?: StationSpec;
  /** Each meta2 service's capacity. */
  readonly meta2?: StationSpec & {
    /** `meta.queue.max_delay`: queued longer than this → 504 "Queued for too long" (real default 40 s). */
    readonly maxQueueMs?: number;
  };
  /** Background client traffic, requests per second (each: the proxy, then one random meta2 service). */
  readonly backgroundRps?: number;
}

export const DEFAULT_MAX_QUEUE_MS = 40_000;
/** Background requests are dropped (not queued) past this many waiting per station: clients give up. */
const BACKGROUND_QUEUE_CAP = 2_000;
const BACKGROUND_TICK_MS = 10;

/** Why a wait for a worker ended without one. */
export type NoWorker = 'deadline' | 'queued-too-long' | 'aborted';

interface Waiter {
  readonly grant: () => void;
  readonly background: boolean;
}

/** A pool of workers with a FIFO queue. */
export class Station {
  private busy = 0;
  private readonly queue: Waiter[] = [];
  private served = 0;
  private queuedMsTotal = 0;
  private dropped = 0;

  constructor(readonly spec: StationSpec, private readonly maxQueueMs = Infinity) {}

  /**
   * Waits for a worker for at most `maxWaitMs` (the caller's remaining deadline) and the
   * station's own maxQueueMs; then keeps it busy `serviceMs`. Resolves with the time queued,
   * or with why no worker was had.
   */
  async serve(maxWaitMs: number, signal?: AbortSignal): Promise<{ queuedMs: number } | { failed: NoWorker; queuedMs: number }> {
    const started = Date.now();
    const got = await this.acquire(Math.min(maxWaitMs, this.maxQueueMs), false, signal);
    const queuedMs = Date.now() - started;
    if (got !== true) {
      const failed: NoWorker = got === 'aborted' ? 'aborted' : maxWaitMs <= this.maxQueueMs ? 'deadline' : 'queued-too-long';
      return { failed, queuedMs };
    }
    this.queuedMsTotal += queuedMs;
    try {
      await delay(this.spec.serviceMs, signal);
    } finally {
      this.release();
    }
    return { queuedMs };
  }

  /** Takes a worker for the duration of `work` (the proxy's thread, held during its meta2 calls). */
  async hold<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(Infinity, false, signal);
    try {
      await delay(this.spec.serviceMs, signal);
      return await work();
    } finally {
      this.release();
    }
  }

  /** One background request: queued unless the queue is already very long, then dropped. */
  background(then?: () => void): void {
    if (this.queue.length >= BACKGROUND_QUEUE_CAP) {
      this.dropped++;
      return;
    }
    void this.acquire(Infinity, true).then(async () => {
      await delay(this.spec.serviceMs);
      this.release();
      then?.();
    });
  }

  snapshot(): StationStats {
    return { workers: this.spec.workers, serviceMs: this.spec.serviceMs, busy: this.busy, queued: this.queue.length, served: this.served, meanQueuedMs: this.served > 0 ? this.queuedMsTotal / this.served : 0, backgroundDropped: this.dropped };
  }

  private acquire(maxWaitMs: number, background: boolean, signal?: AbortSignal): Promise<true | 'timeout' | 'aborted'> {
    if (this.busy < this.spec.workers && this.queue.length === 0) {
      this.busy++;
      this.served++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (why: 'timeout' | 'aborted'): void => {
        const k = this.queue.indexOf(waiter);
        if (k >= 0) this.queue.splice(k, 1);
        signal?.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        leave('aborted');
      };
      const waiter: Waiter = {
        background,
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.served++;
          resolve(true);
        },
      };
      this.queue.push(waiter);
      if (Number.isFinite(maxWaitMs)) timer = setTimeout(() => leave('timeout'), Math.max(0, maxWaitMs));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next.grant(); // the worker passes straight to the next request
    else this.busy--;
  }
}

export interface StationStats {
  readonly workers: number;
  readonly serviceMs: number;
  readonly busy: number;
  readonly queued: number;
  readonly served: number;
  readonly meanQueuedMs: number;
  readonly backgroundDropped: number;
}

export interface LoadStats {
  readonly backgroundRps: number;
  readonly proxy?: StationStats;
  readonly meta2: Readonly<Record<PeerId, StationStats>>;
}

/** The stations of one simulator, and the background traffic feeding them. */
export class LoadModel {
  readonly proxy: Station | undefined;
  private readonly meta2 = new Map<PeerId, Station>();
  private backgroundRps = 0;
  private timer: NodeJS.Timeout | undefined;
  private owed = 0;

  constructor(readonly spec: LoadSpec, services: readonly PeerId[], private readonly random: () => number) {
    this.proxy = spec.proxy ? new Station(spec.proxy) : undefined;
    if (spec.meta2) {
      const meta2 = spec.meta2;
      for (const s of services) this.meta2.set(s, new Station(meta2, meta2.maxQueueMs ?? DEFAULT_MAX_QUEUE_MS));
    }
    this.setBackground(spec.backgroundRps ?? 0);
  }

  /** The meta2 station of a service, if meta2 services have a capacity. */
  station(peer: PeerId): Station | undefined {
    return this.meta2.get(peer);
  }

  /** Background client traffic from now on, requests per second (0 stops it). */
  setBackground(rps: number): void {
    if (!(rps >= 0) || !Number.isFinite(rps)) throw new RangeError(`background rate must be a finite number >= 0, got ${rps}`);
    this.backgroundRps = rps;
    if (rps > 0 && this.timer === undefined) {
      let last = Date.now();
      this.timer = setInterval(() => {
        const now = Date.now();
        this.owed += ((now - last) / 1000) * this.backgroundRps;
        last = now;
        while (this.owed >= 1) {
          this.owed -= 1;
          this.oneBackgroundRequest();
        }
      }, BACKGROUND_TICK_MS);
      this.timer.unref();
    } else if (rps === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.owed = 0;
    }
  }

  stop(): void {
    this.setBackground(0);
  }

  snapshot(): LoadStats {
    const meta2: Record<PeerId, StationStats> = {};
    for (const [peer, s] of this.meta2) meta2[peer] = s.snapshot();
    return { backgroundRps: this.backgroundRps, ...(this.proxy ? { proxy: this.proxy.snapshot() } : {}), meta2 };
  }

  private oneBackgroundRequest(): void {
    const peers = [...this.meta2.keys()];
    const peer = peers.length > 0 ? peers[Math.floor(this.random() * peers.length)] : undefined;
    const toMeta2 = (): void => {
      if (peer !== undefined) this.meta2.get(peer)?.background();
    };
    if (this.proxy) this.proxy.background(toMeta2);
    else toMeta2();
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
