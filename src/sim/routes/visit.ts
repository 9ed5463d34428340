// The proxy contacting meta2 services during one request: applies the services' faults
// (down → code 2, slow → delay, error-burst → the whole request 503, malformed-json → a
// truncated answer), enforces the `x-oio-timeout` deadline, and counts in-flight requests
// per service for the stats. Peers are contacted one after the other, like the real proxy.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PeerId } from '../../oio/types.js';
import type { SimNamespace } from '../namespace.js';
import type { StatsRecorder } from '../stats.js';
import { markedDown } from '../faults.js';
import type { LoadModel } from '../load.js';
import { SimHttpError, connectionRefused } from '../wire.js';

/** Per-peer timeout of the real proxy without `x-oio-timeout` (proxy.outgoing.timeout.common). */
const PEER_TIMEOUT_MS = 30_000;
/** Whole-request cap of the real proxy without `x-oio-timeout` (proxy.request.max_delay). */
const REQUEST_TIMEOUT_MS = 60_000;

/** How this request meets killed services (oio-real-behaviour 2, 26). */
export interface VisitOptions {
  /** Time from a kill until the conscience marks the service down (then code 8, no connection). */
  readonly markDownAfterMs: number;
  /** `bypass_service_down=true`: connect even to a service marked down (code 2, never 8). */
  readonly bypassServiceDown: boolean;
  /** `x-oio-req-id`, quoted in the code-8 message. */
  readonly reqId: string;
  /** The meta2 services' capacity, when the simulator has one. */
  readonly load?: LoadModel;
}

const NO_VISIT_OPTIONS: VisitOptions = { markDownAfterMs: 0, bypassServiceDown: false, reqId: '' };

/** The network-level result of contacting one service: reached, or a low oio code (2, 7, 8). */
export type Contact = { readonly reached: true } | { readonly reached: false; readonly code: number; readonly message: string };

export class PeerVisit {
  private readonly touched: PeerId[] = [];
  private readonly deadlineAt: number;
  private readonly explicitDeadline: boolean;

  constructor(
    private readonly ns: SimNamespace,
    private readonly stats: StatsRecorder,
    timeoutHeader: string | undefined,
    private readonly signal: AbortSignal,
    private readonly opts: VisitOptions = NO_VISIT_OPTIONS,
  ) {
    const us = timeoutHeader === undefined ? NaN : Number(timeoutHeader);
    this.explicitDeadline = Number.isFinite(us) && us > 0;
    this.deadlineAt = Date.now() + (this.explicitDeadline ? us / 1000 : REQUEST_TIMEOUT_MS);
  }

  /** Services this request touched, in order (for x-backend-service-id). */
  get peers(): readonly PeerId[] {
    return this.touched;
  }

  /**
   * Contacts one service. Throws SimHttpError 503 for an error burst or a passed deadline
   * (the whole request fails); returns code 2 for a down or unknown service (8 once the
   * conscience marks it down), 7 past 30 s.
   */
  async contact(peer: PeerId): Promise<Contact> {
    const faults = this.ns.serviceFaults.get(peer);
    if (!faults) return { reached: false, code: 2, message: connectionRefused(peer) };
    if (!this.touched.includes(peer)) {
      this.touched.push(peer);
      this.stats.touch(peer);
    }
    const remaining = this.deadlineAt - Date.now();
    if (remaining <= 0) throw new SimHttpError(503, 503, 'Deadline reached, meta2 subrequest not executed', [peer]);
    if (faults.errorBurst > 0) {
      faults.errorBurst--;
      throw new SimHttpError(503, 503, `${peer}: (503) Service unavailable`, [peer]);
    }
    if (faults.down) {
      if (!this.opts.bypassServiceDown && markedDown(faults, this.opts.markDownAfterMs)) {
        return { reached: false, code: 8, message: `Request avoided, service marked down (reqid=${this.opts.reqId})` };
      }
      return { reached: false, code: 2, message: connectionRefused(peer) };
    }
    const station = this.opts.load?.station(peer);
    if (station) {
      const served = await station.serve(remaining, this.signal);
      if ('failed' in served && served.failed === 'deadline') {
        throw new SimHttpError(503, 503, `Deadline reached: Timeout (${(remaining / 1000 - 0.0001).toFixed(4)}s) to ${peer}`, [peer]);
      }
      // meta.queue.max_delay: the meta2 service refuses with 504, a retryable code → HTTP 503.
      if ('failed' in served && served.failed === 'queued-too-long') throw new SimHttpError(503, 504, 'Queued for too long', [peer]);
    }
    if (faults.slowMs > 0) {
      const limit = Math.min(remaining, PEER_TIMEOUT_MS);
      if (faults.slowMs > limit) {
        await this.wait(limit);
        if (this.explicitDeadline || remaining <= PEER_TIMEOUT_MS) {
          throw new SimHttpError(503, 503, `Deadline reached: Timeout (${(limit / 1000 - 0.0001).toFixed(4)}s) to ${peer}`, [peer]);
        }
        return { reached: false, code: 7, message: `Timeout (${(PEER_TIMEOUT_MS / 1000).toFixed(4)}s) to ${peer}` };
      }
      await this.wait(faults.slowMs);
    }
    return { reached: true };
  }

  private async wait(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.signal });
    } catch {
      // The client went away or the simulator paused: the answer will not be written anyway.
    }
  }

  /** True (and consumes one) if a touched service must answer garbage JSON. */
  takeMalformed(): boolean {
    for (const peer of this.touched) {
      const f = this.ns.serviceFaults.get(peer);
      if (f && f.malformedJson > 0) {
        f.malformedJson--;
        return true;
      }
    }
    return false;
  }

  /** Releases the in-flight counts; call once when the request ends. */
  finish(): void {
    for (const peer of this.touched) this.stats.release(peer);
  }
}
