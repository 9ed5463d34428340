// One daemon's membership in a fleet: its ZooKeeper session (a new one after expiry), its
// ephemeral member node, the watches on the member list, the leader election and the fleet's
// epoch, and what follows from them: the buckets it owns now, whether it may mutate, the
// per-container locks and the fleet budget. Every watch fires once, so each is set again on
// every read. It decides nothing about sweeps (runner.ts does).
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { systemClock } from '../clock.js';
import type { Logger } from '../log.js';
import { bitmapFrom, countBits, emptyBitmap, hasBit, withBits } from './bitmap.js';
import { bucketOf, BUCKETS, ownedBuckets } from './buckets.js';
import { FleetBudget, type FleetBudgetLimits } from './budget.js';
import { isZkError, ZkSession, type ZkSessionState } from './zk.js';

export interface FleetMemberOptions {
  /** host:port[,host:port…] */
  readonly zookeeper: string;
  /** e.g. /oio-repaird/OPENIO */
  readonly root: string;
  readonly memberId: string;
  readonly sessionTimeoutMs: number;
  readonly opTimeoutMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}

/** One epoch's record (`<root>/epochs/<n>`): per-bucket completion, per-member counts, the leader's summary. */
export interface EpochRecord {
  readonly epoch: number;
  readonly startedAt: string;
  readonly done: Buffer;
  /** Containers probed and repairs made per member in this epoch (summed over its walks). */
  readonly members: Readonly<Record<string, WalkCounts>>;
  readonly summary?: FleetSummary;
}

export interface WalkCounts {
  readonly probed: number;
  readonly damaged: number;
  readonly repairs: number;
  readonly unknown: number;
}

export interface FleetSummary extends WalkCounts {
  readonly epoch: number;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly members: number;
}

/** A per-container lock held by this member; release() drops it (idempotent). */
export interface FleetLock {
  readonly cid: string;
  /** The session the lock lives in: mutations are allowed only while it is the live one. */
  readonly session: ZkSession;
  release(): Promise<void>;
}

export class FleetMember extends EventEmitter {
  readonly opts: FleetMemberOptions;
  private session: ZkSession | null = null;
  private joined = false;
  private stopped = false;
  private memberList: string[] = [];
  private owned: Set<number> = new Set();
  private leaderNow = false;
  private record: EpochRecord | null = null;
  private readonly heldLocks = new Map<string, FleetLock>();
  private readonly budget: FleetBudget;
  private loop: Promise<void> | null = null;
  /** ZooKeeper calls made by sessions that have ended (plus the live one's: see zkOps). */
  private pastOps = 0;
  /** Locks that were held by another member when asked for. */
  lockContention = 0;
  private readonly now: () => number;

  constructor(opts: FleetMemberOptions) {
    super();
    this.setMaxListeners(0);
    this.opts = opts;
    this.now = opts.now ?? systemClock.now;
    this.budget = new FleetBudget(this.path('budget'));
  }

  path(...parts: string[]): string {
    return [this.opts.root.replace(/\/+$/, ''), ...parts].join('/');
  }

  /** Starts connecting and joining in the background (retried until stop()). */
  start(): void {
    this.loop ??= this.sessionLoop();
  }

  /** Resolves once this member has joined the fleet (bounded by `timeoutMs`). */
  async joinedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (!this.mayMutate()) {
      if (this.stopped || this.now() >= deadline) return false;
      await this.changed(Math.min(250, deadline - this.now()));
    }
    return true;
  }

  /** Resolves on the next change of the fleet view, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('change', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.on('change', done);
    });
  }

  get sessionState(): ZkSessionState {
    return this.session?.state ?? 'connecting';
  }

  /** Connected and joined: the member may probe its buckets and send mutating requests. */
  mayMutate(): boolean {
    return this.joined && this.session?.state === 'connected';
  }

  /**
   * Why a mutating request on `cid` must not be sent now, or null: the session must be live
   * and be the one holding the container's lock.
   */
  fenceReason(cid: string): string | null {
    if (!this.mayMutate()) return `fenced: ZooKeeper session ${this.sessionState}`;
    const lock = this.heldLocks.get(cid);
    if (!lock) return `fenced: no fleet lock held on ${cid}`;
    if (lock.session !== this.session) return 'fenced: the fleet lock belonged to a ZooKeeper session that ended';
    return null;
  }

  get members(): readonly string[] {
    return this.memberList;
  }

  /** Buckets owned now (empty while the session is not connected: nothing is probed then). */
  ownedBuckets(): ReadonlySet<number> {
    return this.mayMutate() ? this.owned : new Set();
  }

  owns(cid: string): boolean {
    return this.mayMutate() && this.owned.has(bucketOf(cid));
  }

  get isLeader(): boolean {
    return this.leaderNow && this.mayMutate();
  }

  get epoch(): EpochRecord | null {
    return this.record;
  }

  /** Buckets done in the current epoch. */
  doneBuckets(): number {
    return this.record ? countBits(this.record.done) : 0;
  }

  isDone(bucket: number): boolean {
    return this.record ? hasBit(this.record.done, bucket) : false;
  }

  /** ZooKeeper calls made so far by this member (all sessions). */
  get zkOps(): number {
    return this.pastOps + (this.session?.ops ?? 0);
  }

  budgetRemaining(limits: FleetBudgetLimits): number {
    const epoch = this.record?.epoch ?? 0;
    const s = this.budget.last;
    const hourly = s.hourly.filter((t) => t > this.now() - 3_600_000).length;
    const used = s.epoch === epoch ? s.epochUsed : 0;
    return Math.max(0, Math.min(limits.maxPerSweep - used, limits.maxPerHour - hourly));
  }

  // --------------------------------------------------------------------------------------------
  // Session life

  private async sessionLoop(): Promise<void> {
    const log = this.opts.log;
    let backoff = 200;
    while (!this.stopped) {
      let session: ZkSession;
      try {
        session = await ZkSession.open({ connect: this.opts.zookeeper, sessionTimeoutMs: this.opts.sessionTimeoutMs, opTimeoutMs: this.opts.opTimeoutMs });
      } catch (err) {
        log.warn({ err, zookeeper: this.opts.zookeeper, retryInMs: backoff }, 'fleet: cannot reach ZooKeeper, retrying');
        await systemClock.sleep(backoff, undefined, { unref: true });
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      if (this.stopped) {
        session.close();
        return;
      }
      backoff = 200;
      this.session = session;
      // A client that has not reconnected within twice the session timeout may never do so (and
      // the server has expired the session by then): give it up for a new one.
      let giveUp: NodeJS.Timeout | undefined;
      const ended = new Promise<void>((resolve) => {
        session.on('state', (state: ZkSessionState) => {
          log[state === 'connected' ? 'info' : 'warn']({ session: session.id, state }, `fleet: ZooKeeper session ${state}`);
          clearTimeout(giveUp);
          if (state === 'suspended') {
            giveUp = setTimeout(() => {
              log.warn({ session: session.id, afterMs: 2 * this.opts.sessionTimeoutMs }, 'fleet: ZooKeeper session not back, opening a new one');
              session.close();
            }, 2 * this.opts.sessionTimeoutMs);
            giveUp.unref();
          }
          if (state === 'connected') void this.refreshAll(session);
          this.emit('change');
          if (state === 'expired' || state === 'closed') resolve();
        });
      });
      try {
        await this.join(session);
        log.info({ member: this.opts.memberId, session: session.id, root: this.opts.root }, 'fleet: joined');
      } catch (err) {
        log.warn({ err }, 'fleet: joining failed, starting a new session');
        session.close();
      }
      this.emit('change');
      // Watches fire once and a missed one is silent: the epoch (a small node) is also read
      // again every session timeout, so a member never waits on an epoch it did not see start.
      const reread = setInterval(() => {
        if (session.state === 'connected') void this.refreshEpoch(session).catch(() => undefined);
      }, this.opts.sessionTimeoutMs);
      reread.unref();
      await ended;
      clearInterval(reread);
      this.joined = false;
      this.owned = new Set();
      this.leaderNow = false;
      this.pastOps += session.ops;
      if (this.session === session) this.session = null;
      session.close();
      this.emit('change');
    }
  }

  /** Creates the member node (waiting out a dead predecessor's), the election node and the watches. */
  private async join(zk: ZkSession): Promise<void> {
    for (const dir of ['members', 'locks', 'leader', 'epochs']) await zk.mkdirp(this.path(dir));
    const me = this.path('members', this.opts.memberId);
    const data = Buffer.from(JSON.stringify({ id: this.opts.memberId, host: hostname(), pid: process.pid, since: new Date(this.now()).toISOString() }));
    const deadline = this.now() + 2 * this.opts.sessionTimeoutMs + this.opts.opTimeoutMs;
    for (;;) {
      try {
        await zk.create(me, data, { ephemeral: true });
        break;
      } catch (err) {
        if (!isZkError(err, 'ZK_NODE_EXISTS')) throw err;
        const existing = await zk.get(me);
        if (existing?.owner === zk.id) break;
        // The node of this member id's previous process: its session expires within a timeout.
        if (this.now() > deadline) throw new Error(`member ${this.opts.memberId} is already in the fleet (another daemon with the same fleet.memberId?)`, { cause: err });
        this.opts.log.info({ member: this.opts.memberId }, 'fleet: waiting for the previous session of this member to expire');
        await systemClock.sleep(250, undefined, { unref: true });
      }
    }
    await zk.create(this.path('leader', 'm-'), Buffer.from(this.opts.memberId), { ephemeral: true, sequential: true });
    // Joined only once the buckets are known: a member never probes with a stale or empty view.
    await Promise.all([this.refreshMembers(zk), this.refreshLeader(zk), this.refreshEpoch(zk)]);
    this.joined = true;
  }

  private refreshAll(zk: ZkSession): Promise<void> {
    return Promise.all([this.refreshMembers(zk), this.refreshLeader(zk), this.refreshEpoch(zk)]).then(() => undefined, (err: unknown) => {
      this.opts.log.debug({ err }, 'fleet: refresh failed (retried on the next connection)');
    });
  }

  private readonly watchMembers = (): void => {
    if (this.session) void this.refreshMembers(this.session).catch(() => undefined);
  };

  private readonly watchLeader = (): void => {
    if (this.session) void this.refreshLeader(this.session).catch(() => undefined);
  };

  private readonly watchEpoch = (): void => {
    if (this.session) void this.refreshEpoch(this.session).catch(() => undefined);
  };

  private async refreshMembers(zk: ZkSession): Promise<void> {
    const list = (await zk.children(this.path('members'), this.watchMembers)).sort();
    if (zk !== this.session) return;
    const before = this.memberList;
    this.memberList = list;
    this.owned = ownedBuckets(this.opts.memberId, list);
    if (before.join(',') !== list.join(',')) {
      this.opts.log.info({ members: list, owned: this.owned.size }, 'fleet: membership changed');
    }
    this.emit('change');
  }

  private async refreshLeader(zk: ZkSession): Promise<void> {
    const candidates = await zk.children(this.path('leader'), this.watchLeader);
    if (zk !== this.session) return;
    const first = [...candidates].sort((a, b) => seq(a) - seq(b))[0];
    const leader = first ? (await zk.get(this.path('leader', first)))?.owner === zk.id : false;
    if (leader !== this.leaderNow) this.opts.log.info({ leader }, leader ? 'fleet: this member leads' : 'fleet: this member no longer leads');
    this.leaderNow = leader;
    this.emit('change');
  }

  private async refreshEpoch(zk: ZkSession): Promise<void> {
    const node = await zk.get(this.path('epoch'), this.watchEpoch);
    if (zk !== this.session) return;
    const epoch = node ? parseEpochPointer(node.data) : 0;
    if (epoch === 0) {
      this.record = null;
    } else {
      const rec = await zk.get(this.path('epochs', String(epoch)), this.watchEpoch);
      if (zk !== this.session) return;
      this.record = rec ? parseRecord(epoch, rec.data) : { epoch, startedAt: new Date(this.now()).toISOString(), done: emptyBitmap(), members: {} };
    }
    this.emit('change');
  }

  // --------------------------------------------------------------------------------------------
  // Epochs

  /**
   * Leader only: starts epoch N+1 when epoch N is complete (or none exists). Returns the epoch
   * started, or null (not the leader, or the current epoch still running).
   */
  async startEpoch(force = false): Promise<number | null> {
    const zk = this.session;
    if (!zk || !this.isLeader) return null;
    const pointer = await zk.get(this.path('epoch'));
    const current = pointer ? parseEpochPointer(pointer.data) : 0;
    if (current > 0 && !force) {
      const rec = await zk.get(this.path('epochs', String(current)));
      if (rec && countBits(parseRecord(current, rec.data).done) < BUCKETS) {
        this.opts.log.info({ epoch: current }, 'fleet: the current epoch is still running, no new epoch started');
        return null;
      }
    }
    const next = current + 1;
    const startedAt = new Date(this.now()).toISOString();
    const record = { startedAt, done: emptyBitmap().toString('base64'), members: {} };
    try {
      await zk.create(this.path('epochs', String(next)), Buffer.from(JSON.stringify(record)));
    } catch (err) {
      if (!isZkError(err, 'ZK_NODE_EXISTS')) throw err;
    }
    const data = Buffer.from(JSON.stringify({ epoch: next, startedAt, by: this.opts.memberId }));
    try {
      if (pointer) await zk.set(this.path('epoch'), data, pointer.version);
      else await zk.create(this.path('epoch'), data);
    } catch (err) {
      if (isZkError(err, 'ZK_BAD_VERSION') || isZkError(err, 'ZK_NODE_EXISTS')) return null;
      throw err;
    }
    this.opts.log.info({ epoch: next }, 'fleet: epoch started');
    await this.pruneEpochs(zk, next);
    await this.refreshEpoch(zk);
    return next;
  }

  /** Keeps the last 5 epochs' records. */
  private async pruneEpochs(zk: ZkSession, current: number): Promise<void> {
    for (const name of await zk.children(this.path('epochs'))) {
      if (Number(name) <= current - 5) await zk.remove(this.path('epochs', name)).catch(() => undefined);
    }
  }

  /**
   * Records `buckets` done in `epoch` with this walk's counts (CAS on the epoch's record).
   * When that completes the epoch and this member leads, writes the fleet summary.
   */
  async markDone(epoch: number, buckets: Iterable<number>, counts: WalkCounts): Promise<void> {
    const zk = this.session;
    if (!zk) throw new Error('no ZooKeeper session');
    const path = this.path('epochs', String(epoch));
    const list = [...buckets];
    for (let attempt = 0; attempt < 50; attempt++) {
      const node = await zk.get(path);
      if (!node) return; // pruned: an old epoch
      const rec = parseRecord(epoch, node.data);
      const mine = rec.members[this.opts.memberId] ?? { probed: 0, damaged: 0, repairs: 0, unknown: 0 };
      const members = { ...rec.members, [this.opts.memberId]: addCounts(mine, counts) };
      const done = withBits(rec.done, list);
      const summary = rec.summary ?? (countBits(done) === BUCKETS ? this.summarize(rec, members) : undefined);
      const next = { startedAt: rec.startedAt, done: done.toString('base64'), members, ...(summary ? { summary } : {}) };
      try {
        await zk.set(path, Buffer.from(JSON.stringify(next)), node.version);
        if (summary && !rec.summary) this.opts.log.info({ ...summary }, 'fleet: sweep summary (epoch complete)');
        // Seen at once, not only when the watch fires: until then the walker would find its
        // buckets not done and walk the whole listing again (measured in `npm run bench -- --only=fleet`).
        const seen = this.record;
        if (zk === this.session && seen?.epoch === epoch) {
          const known = summary ?? seen.summary;
          this.record = { epoch, startedAt: rec.startedAt, done: withBits(seen.done, list), members, ...(known ? { summary: known } : {}) };
          this.emit('change');
        }
        return;
      } catch (err) {
        if (!isZkError(err, 'ZK_BAD_VERSION')) throw err;
      }
    }
    throw new Error(`the record of epoch ${epoch} kept changing under 50 attempts`);
  }

  private summarize(rec: EpochRecord, members: Record<string, WalkCounts>): FleetSummary {
    const total = Object.values(members).reduce(addCounts, { probed: 0, damaged: 0, repairs: 0, unknown: 0 });
    return { epoch: rec.epoch, startedAt: rec.startedAt, endedAt: new Date(this.now()).toISOString(), members: Object.keys(members).length, ...total };
  }

  /** Leader only: writes the summary of a complete epoch whose last marker could not (idempotent). */
  async summarizeIfComplete(): Promise<void> {
    const zk = this.session;
    const rec = this.record;
    if (!zk || !this.isLeader || !rec || rec.summary || countBits(rec.done) < BUCKETS) return;
    await this.markDone(rec.epoch, [], { probed: 0, damaged: 0, repairs: 0, unknown: 0 });
  }

  // --------------------------------------------------------------------------------------------
  // Locks and budget

  /** Takes the container's lock (an ephemeral node); null when another member holds it. */
  async lock(cid: string): Promise<FleetLock | null> {
    const zk = this.session;
    if (!zk || !this.mayMutate()) throw new Error(`fenced: ZooKeeper session ${this.sessionState}`);
    const path = this.path('locks', cid);
    try {
      await zk.create(path, Buffer.from(this.opts.memberId), { ephemeral: true });
    } catch (err) {
      if (!isZkError(err, 'ZK_NODE_EXISTS')) throw err;
      this.lockContention += 1;
      return null;
    }
    const lock: FleetLock = {
      cid,
      session: zk,
      release: async () => {
        if (this.heldLocks.get(cid) === lock) this.heldLocks.delete(cid);
        if (zk.state !== 'connected') return; // gone with the session, or removed when it comes back
        await zk.remove(path).catch(() => undefined);
      },
    };
    this.heldLocks.set(cid, lock);
    return lock;
  }

  /** Reserves one repair of the fleet budget for the current epoch (FleetBudgetSpent when spent). */
  async reserveRepair(limits: FleetBudgetLimits): Promise<void> {
    const zk = this.session;
    if (!zk || !this.mayMutate()) throw new Error(`fenced: ZooKeeper session ${this.sessionState}`);
    await this.budget.reserve(zk, limits, this.record?.epoch ?? 0, this.now);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.session?.close();
    await this.loop;
  }
}

function seq(name: string): number {
  return Number(name.slice(name.lastIndexOf('-') + 1));
}

function addCounts(a: WalkCounts, b: WalkCounts): WalkCounts {
  return { probed: a.probed + b.probed, damaged: a.damaged + b.damaged, repairs: a.repairs + b.repairs, unknown: a.unknown + b.unknown };
}

function parseEpochPointer(data: Buffer): number {
  try {
    const epoch = (JSON.parse(data.toString('utf8')) as { epoch?: unknown }).epoch;
    return typeof epoch === 'number' && Number.isInteger(epoch) && epoch > 0 ? epoch : 0;
  } catch {
    return 0;
  }
}

function parseRecord(epoch: number, data: Buffer): EpochRecord {
  try {
    const v = JSON.parse(data.toString('utf8')) as { startedAt?: string; done?: string; members?: Record<string, WalkCounts>; summary?: FleetSummary };
    return { epoch, startedAt: v.startedAt ?? '', done: bitmapFrom(v.done), members: v.members ?? {}, ...(v.summary ? { summary: v.summary } : {}) };
  } catch {
    return { epoch, startedAt: '', done: emptyBitmap(), members: {} };
  }
}
