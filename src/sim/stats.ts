// Request accounting for tests and the benchmark: requests by route and HTTP status, per meta2
// service the current and maximum number of in-flight requests touching it, and the per-peer
// sync/leave calls received. Counting is O(1) per request and per touched service.
import type { PeerId } from '../oio/types.js';

export interface ServiceStats {
  requests: number;
  inFlight: number;
  maxInFlight: number;
}

export interface SimStats {
  readonly since: string;
  readonly requests: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly byRoute: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly services: Readonly<Record<PeerId, ServiceStats>>;
  /** Per-peer `admin/sync` entries received (one per targeted peer). */
  readonly syncCalls: Readonly<Record<PeerId, number>>;
  readonly leaveCalls: Readonly<Record<PeerId, number>>;
  /** Effective writes through a master by `admin/set_properties`. */
  readonly writes: number;
  /**
   * Mutating requests received per container (CID): each `sync`, `leave` and `set_properties`
   * request counts once, whatever the number of peers it targets. Only containers that got one
   * are listed (the kill test counts, with it, what a crash-looping daemon sent).
   */
  readonly mutationsByContainer: Readonly<Record<string, number>>;
  /**
   * `admin/set_properties` applied LOCALLY on one peer (x-oio-admin: 1, oio-real-behaviour 23):
   * not replicated, no version bump. Per peer that wrote.
   */
  readonly localWrites: Readonly<Record<PeerId, number>>;
  /** Generated containers stored because they were mutated (the rest stay lazy). */
  readonly materialisedContainers: number;
  /** `admin/get_properties` reads per container (CID), when the simulator counts them (countReads). */
  readonly readsByContainer?: Readonly<Record<string, number>>;
}

export class StatsRecorder {
  private since = new Date();
  private requests = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private byRoute = new Map<string, number>();
  private byStatus = new Map<string, number>();
  private services = new Map<PeerId, ServiceStats>();
  private syncCalls = new Map<PeerId, number>();
  private leaveCalls = new Map<PeerId, number>();
  private writes = 0;
  private mutations = new Map<string, number>();
  private localWrites = new Map<PeerId, number>();
  private readonly reads: Map<string, number> | undefined;

  constructor(opts: { countReads?: boolean } = {}) {
    this.reads = opts.countReads ? new Map() : undefined;
  }

  /** A replica of container `cid` was read (admin/get_properties); counted only with countReads. */
  propertiesRead(cid: string): void {
    if (this.reads) this.reads.set(cid, (this.reads.get(cid) ?? 0) + 1);
  }

  requestStarted(route: string): void {
    this.requests++;
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
  }

  requestEnded(status: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const key = String(status);
    this.byStatus.set(key, (this.byStatus.get(key) ?? 0) + 1);
  }

  /** A request starts touching a service (service_id or fan-out); pair with release(). */
  touch(peer: PeerId): void {
    let s = this.services.get(peer);
    if (!s) {
      s = { requests: 0, inFlight: 0, maxInFlight: 0 };
      this.services.set(peer, s);
    }
    s.requests++;
    s.inFlight++;
    if (s.inFlight > s.maxInFlight) s.maxInFlight = s.inFlight;
  }

  release(peer: PeerId): void {
    const s = this.services.get(peer);
    if (s) s.inFlight = Math.max(0, s.inFlight - 1);
  }

  /** A mutating request (sync, leave, set_properties) reached container `cid`. */
  mutationReceived(cid: string): void {
    this.mutations.set(cid, (this.mutations.get(cid) ?? 0) + 1);
  }

  syncReceived(peer: PeerId): void {
    this.syncCalls.set(peer, (this.syncCalls.get(peer) ?? 0) + 1);
  }

  leaveReceived(peer: PeerId): void {
    this.leaveCalls.set(peer, (this.leaveCalls.get(peer) ?? 0) + 1);
  }

  writeApplied(): void {
    this.writes++;
  }

  localWriteApplied(peer: PeerId): void {
    this.localWrites.set(peer, (this.localWrites.get(peer) ?? 0) + 1);
  }

  snapshot(materialisedContainers: number): SimStats {
    const services: Record<PeerId, ServiceStats> = {};
    for (const [p, s] of this.services) services[p] = { ...s };
    return {
      since: this.since.toISOString(),
      requests: this.requests,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      byRoute: Object.fromEntries(this.byRoute),
      byStatus: Object.fromEntries(this.byStatus),
      services,
      syncCalls: Object.fromEntries(this.syncCalls),
      mutationsByContainer: Object.fromEntries(this.mutations),
      leaveCalls: Object.fromEntries(this.leaveCalls),
      writes: this.writes,
      localWrites: Object.fromEntries(this.localWrites),
      materialisedContainers,
      ...(this.reads ? { readsByContainer: Object.fromEntries(this.reads) } : {}),
    };
  }

  /** Zeroes the counters; in-flight gauges keep counting requests still running. */
  reset(): void {
    this.since = new Date();
    this.requests = 0;
    this.maxInFlight = this.inFlight;
    this.byRoute.clear();
    this.byStatus.clear();
    for (const s of this.services.values()) {
      s.requests = 0;
      s.maxInFlight = s.inFlight;
    }
    this.syncCalls.clear();
    this.leaveCalls.clear();
    this.writes = 0;
    this.localWrites.clear();
    this.reads?.clear();
  }
}
