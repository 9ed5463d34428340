// Sends the read-only requests of requests.ts to meta2 services over their native port: a small
// keep-alive pool per service (at most `connectionsPerService` sockets, one request at a time on
// each), a connect timeout, one total deadline per request (also sent as TO), a frame-size cap,
// and every socket failure mapped to OioUnreachableError / OioTimeoutError, every bad byte to
// OioBadAnswerError. Returns the meta2's status as it is; reader.ts turns it into typed values.
import { systemClock } from '../clock.js';
import { createConnection, type Socket } from 'node:net';
import { errorMessage } from '../errors.js';
import { OioError, OioBadAnswerError, OioTimeoutError, OioUnreachableError } from '../oio/errors.js';
import type { PeerId } from '../oio/types.js';
import { parsePeerAddress } from './address.js';
import { NativeDecodeError, decodeMessage, paramValue } from './der.js';
import { FrameReader, NativeFrameError } from './frame.js';
import { dbHas, dbPget, dbStatus, frameOf, type ReadRequest, type ReadTarget } from './requests.js';

export interface NativeClientOptions {
  /** Sent as NS (required by the server, its value not checked). */
  readonly namespace: string;
  /** TCP connect timeout; a black-holed port would otherwise hang the connect. */
  readonly connectTimeoutMs: number;
  /** Whole request, connect included; the server is told the remaining time as TO. */
  readonly requestTimeoutMs: number;
  /** A reply frame declaring more bytes is refused before it is read. */
  readonly maxFrameBytes: number;
  /** Sockets kept per meta2 service; keep it within the per-service concurrency cap. */
  readonly connectionsPerService: number;
  /** An idle socket is closed after this; below the server's 30 s idle cut. @default 10000 */
  readonly idleTimeoutMs?: number;
}

/** One meta2 reply: its status `S`, message `MSG` ('?' when absent), body. */
export interface NativeReply {
  readonly status: number;
  readonly message: string;
  readonly body?: Buffer;
}

export interface NativeCallOptions {
  /** Sent as the message id (the meta2 access log's request_id); generated when absent. */
  readonly reqId?: string;
  readonly signal?: AbortSignal;
}

/** Replies 100 and 201-299 announce more frames; DB_PGET/HAS/STATUS never send them, so few are allowed. */
const MAX_INTERIM_REPLIES = 8;
const DEFAULT_IDLE_MS = 10_000;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

let sequence = 0;
function generatedReqId(): string {
  sequence = (sequence + 1) % 1_000_000_000;
  return `oio-repaird-native-${process.pid}-${sequence}`;
}

interface Waiter {
  resolve(c: Connection): void;
  reject(err: Error): void;
}

/** One socket and the single request in flight on it. */
class Connection {
  readonly reader: FrameReader;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set while a request waits for its reply. */
  onFrame: ((der: Buffer) => void) | undefined;
  onFailure: ((err: Error) => void) | undefined;
  closed = false;

  constructor(readonly socket: Socket, maxFrameBytes: number, onClose: () => void) {
    this.reader = new FrameReader(maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      for (const f of frames) {
        // Bytes nobody asked for (on an idle socket): the stream can no longer be trusted.
        if (!this.onFrame) {
          this.fail(new NativeFrameError('unsolicited frame'));
          return;
        }
        this.onFrame(f);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      this.closed = true;
      clearTimeout(this.idleTimer);
      this.onFailure?.(Object.assign(new Error('connection closed by the meta2 before its reply'), { code: 'EOF' }));
      onClose();
    });
  }

  fail(err: Error): void {
    const onFailure = this.onFailure;
    this.onFailure = undefined;
    this.onFrame = undefined;
    this.socket.destroy();
    onFailure?.(err);
  }
}

/** The sockets of one meta2 service. */
class ServicePool {
  private readonly idle: Connection[] = [];
  private open = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly host: string, private readonly port: number, private readonly opts: Required<NativeClientOptions>) {}

  /** A connection for one request: an idle one, a new one under the cap, or the next one released. */
  acquire(deadlineAt: number, signal: AbortSignal | undefined): Promise<{ conn: Connection; reused: boolean }> {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (c.closed) continue;
      clearTimeout(c.idleTimer);
      c.socket.ref();
      return Promise.resolve({ conn: c, reused: true });
    }
    if (this.open < this.opts.connectionsPerService) return this.connect(deadlineAt).then((conn) => ({ conn, reused: false }));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (conn) => { cleanup(); resolve({ conn, reused: true }); },
        reject: (err) => { cleanup(); reject(err); },
      };
      const timer = setTimeout(() => waiter.reject(new OioTimeoutError('no free connection before the deadline', { route: 'native' })), Math.max(0, deadlineAt - systemClock.now()));
      const onAbort = (): void => waiter.reject(signal?.reason as Error);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Back to the pool when it can carry another request, else closed. */
  release(conn: Connection, reusable: boolean): void {
    conn.onFrame = undefined;
    conn.onFailure = undefined;
    if (!reusable || conn.closed || conn.reader.pending > 0) {
      conn.socket.destroy();
      this.wakeWaiter();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(conn);
      return;
    }
    conn.socket.unref();
    conn.idleTimer = setTimeout(() => conn.socket.destroy(), this.opts.idleTimeoutMs);
    conn.idleTimer.unref();
    this.idle.push(conn);
  }

  /** A socket closed: its slot is free for a waiter. */
  private wakeWaiter(): void {
    const waiter = this.waiters[0];
    if (!waiter || this.open >= this.opts.connectionsPerService) return;
    this.waiters.shift();
    this.connect(systemClock.now() + this.opts.requestTimeoutMs).then(waiter.resolve, waiter.reject);
  }

  private connect(deadlineAt: number): Promise<Connection> {
    this.open++;
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: this.host, port: this.port, noDelay: true });
      const conn = new Connection(socket, this.opts.maxFrameBytes, () => {
        this.open--;
        const i = this.idle.indexOf(conn);
        if (i >= 0) this.idle.splice(i, 1);
        this.wakeWaiter();
      });
      const limit = Math.max(1, Math.min(this.opts.connectTimeoutMs, deadlineAt - systemClock.now()));
      const timer = setTimeout(() => {
        conn.onFailure = undefined;
        socket.destroy();
        reject(new OioTimeoutError(`connect timeout after ${limit} ms`, { route: 'native' }));
      }, limit);
      conn.onFailure = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('connect', () => {
        clearTimeout(timer);
        conn.onFailure = undefined;
        resolve(conn);
      });
    });
  }

  close(): void {
    for (const c of this.idle.splice(0)) c.socket.destroy();
    for (const w of this.waiters.splice(0)) w.reject(new OioUnreachableError('native client closed', { route: 'native' }));
  }
}

export class NativeClient {
  private readonly opts: Required<NativeClientOptions>;
  private readonly pools = new Map<PeerId, ServicePool>();
  private closed = false;

  constructor(opts: NativeClientOptions) {
    for (const [k, v] of Object.entries({ connectTimeoutMs: opts.connectTimeoutMs, requestTimeoutMs: opts.requestTimeoutMs, connectionsPerService: opts.connectionsPerService })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer: ${v}`);
    }
    this.opts = { idleTimeoutMs: DEFAULT_IDLE_MS, ...opts };
    new FrameReader(opts.maxFrameBytes); // validates the cap now rather than at the first reply
  }

  /** DB_PGET with LOCAL: this replica's admin table, without touching its election. */
  pget(peer: PeerId, cid: string, opts: NativeCallOptions = {}): Promise<NativeReply> {
    return this.call(peer, (t) => dbPget(t), cid, opts);
  }

  /** DB_HAS: does this replica's base file exist (a stat, no open). */
  has(peer: PeerId, cid: string, opts: NativeCallOptions = {}): Promise<NativeReply> {
    return this.call(peer, (t) => dbHas(t), cid, opts);
  }

  /** DB_STATUS: this replica's role. Can start an election (and a restore): ask it last. */
  status(peer: PeerId, cid: string, opts: NativeCallOptions = {}): Promise<NativeReply> {
    return this.call(peer, (t) => dbStatus(t), cid, opts);
  }

  /** Closes idle sockets; requests in flight end with their own deadline. */
  close(): Promise<void> {
    this.closed = true;
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
    return Promise.resolve();
  }

  private async call(peer: PeerId, build: (t: ReadTarget) => ReadRequest, cid: string, opts: NativeCallOptions): Promise<NativeReply> {
    // Whole milliseconds (now(), not the fractional monotonic()): the TO field sent is derived from them.
    const startedAt = systemClock.now();
    const deadlineAt = startedAt + this.opts.requestTimeoutMs;
    const reqId = opts.reqId ?? generatedReqId();
    const target = { cid, namespace: this.opts.namespace, timeoutMs: this.opts.requestTimeoutMs, reqId };
    let request: ReadRequest;
    try {
      request = build(target);
    } catch (err) {
      throw new OioBadAnswerError(`native request not built: ${(err as Error).message}`, { route: 'native', peer, reqId, cause: err });
    }
    const route = `native/${request.name}`;
    const ctx = { route, peer, reqId };
    if (this.closed) throw new OioUnreachableError('native client closed', ctx);
    const address = parsePeerAddress(peer);
    if (!address) throw new OioBadAnswerError(`not a meta2 address (IP:PORT expected): ${JSON.stringify(peer)}`, ctx);
    opts.signal?.throwIfAborted();
    let pool = this.pools.get(peer);
    if (!pool) {
      pool = new ServicePool(address.host, address.port, this.opts);
      this.pools.set(peer, pool);
    }
    // A kept-alive socket the server closed meanwhile fails before any reply byte: one fresh try.
    for (let attempt = 0; ; attempt++) {
      let acquired: { conn: Connection; reused: boolean };
      try {
        acquired = await pool.acquire(deadlineAt, opts.signal);
      } catch (err) {
        throw mapError(err, ctx, deadlineAt);
      }
      try {
        // TO = what is left of our deadline, so the server gives up before we do.
        const left = Math.max(1, deadlineAt - systemClock.now());
        const sent = left === this.opts.requestTimeoutMs ? request : build({ ...target, timeoutMs: left });
        const reply = await exchange(acquired.conn, frameOf(sent), reqId, deadlineAt, opts.signal);
        pool.release(acquired.conn, true);
        return reply;
      } catch (err) {
        pool.release(acquired.conn, false);
        const stale = acquired.reused && attempt === 0 && isCode(err, ['EOF', 'ECONNRESET', 'EPIPE']);
        if (stale && systemClock.now() < deadlineAt) continue;
        throw mapError(err, ctx, deadlineAt);
      }
    }
  }
}

function isCode(err: unknown, codes: readonly string[]): boolean {
  return typeof (err as { code?: unknown })?.code === 'string' && codes.includes((err as { code: string }).code);
}

/** Writes one request and waits for its final reply frame, within the deadline. */
function exchange(conn: Connection, bytes: Buffer, reqId: string, deadlineAt: number, signal: AbortSignal | undefined): Promise<NativeReply> {
  return new Promise((resolve, reject) => {
    let interim = 0;
    const finish = (err: Error | undefined, reply?: NativeReply): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      conn.onFrame = undefined;
      conn.onFailure = undefined;
      if (err) reject(err);
      else resolve(reply as NativeReply);
    };
    const timer = setTimeout(() => {
      conn.socket.destroy();
      finish(Object.assign(new Error('no reply before the deadline'), { code: 'DEADLINE' }));
    }, Math.max(1, deadlineAt - systemClock.now()));
    const onAbort = (): void => {
      conn.socket.destroy();
      finish(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    conn.onFailure = (err) => finish(err);
    conn.onFrame = (der) => {
      let reply: NativeReply;
      try {
        reply = parseReply(der, reqId);
      } catch (err) {
        conn.socket.destroy();
        finish(err as Error);
        return;
      }
      if (reply.status === 100 || (reply.status > 200 && reply.status < 300)) {
        if (++interim > MAX_INTERIM_REPLIES) {
          conn.socket.destroy();
          finish(new NativeFrameError(`more than ${MAX_INTERIM_REPLIES} interim replies`));
        }
        return;
      }
      finish(undefined, reply);
    };
    conn.socket.write(bytes);
  });
}

/** The reply's status, message and body; its id must be ours (replies come back in order). */
function parseReply(der: Buffer, reqId: string): NativeReply {
  const m = decodeMessage(der);
  if (m.id !== undefined && m.id !== reqId) throw new NativeFrameError(`reply id ${JSON.stringify(m.id)} is not ours`);
  const s = paramValue(m, 'S')?.toString('latin1');
  if (s === undefined || !/^\d{1,4}$/.test(s)) throw new NativeFrameError(`reply status ${JSON.stringify(s ?? null)} is not a number`);
  const message = paramValue(m, 'MSG')?.toString('utf8') ?? '?';
  return { status: Number(s), message, ...(m.body === undefined ? {} : { body: m.body }) };
}

/** Socket errors → unreachable or timeout; bad bytes → a bad answer; aborts pass through. */
function mapError(err: unknown, ctx: { route: string; peer: PeerId; reqId: string }, deadlineAt: number): Error {
  if (err instanceof OioError) {
    if (err.peer !== undefined) return err;
    const Ctor = err.constructor as new (m: string, c: object) => OioError;
    return new Ctor(err.message, { ...ctx, cause: err });
  }
  if (err instanceof NativeDecodeError || err instanceof NativeFrameError) {
    return new OioBadAnswerError(`bad native reply: ${err.message}`, { ...ctx, cause: err });
  }
  if (isCode(err, ['DEADLINE', 'ETIMEDOUT'])) return new OioTimeoutError(`${ctx.route} timed out: ${(err as Error).message}`, { ...ctx, cause: err });
  if (isCode(err, [...UNREACHABLE_CODES, 'EOF'])) {
    return new OioUnreachableError(`${ctx.route} to ${ctx.peer}: ${(err as Error).message}`, { ...ctx, cause: err });
  }
  if (err instanceof Error && err.name === 'AbortError') return err;
  if (systemClock.now() >= deadlineAt) return new OioTimeoutError(`${ctx.route} timed out`, { ...ctx, cause: err });
  return new OioUnreachableError(`${ctx.route} to ${ctx.peer}: ${errorMessage(err)}`, { ...ctx, cause: err });
}
