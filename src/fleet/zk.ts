// Our only door to ZooKeeper: a small promise API over the pure-JavaScript client
// `node-zookeeper-client` (callback-only, one-shot watches), so it can be replaced in one file.
// One ZkSession is one ZooKeeper session; after it expires it stays dead (the client cannot
// revive it): the owner opens a new one and re-creates its ephemeral nodes and watches.
// Every call is bounded (opTimeoutMs), and a heartbeat turns a silent server into `suspended`.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import zookeeper from 'node-zookeeper-client';

/** connected: calls go through. suspended: disconnected, the session may still come back. expired/closed: dead for good. */
export type ZkSessionState = 'connecting' | 'connected' | 'suspended' | 'expired' | 'closed';

export type ZkErrorCode =
  | 'ZK_NO_NODE'
  | 'ZK_NODE_EXISTS'
  | 'ZK_BAD_VERSION'
  | 'ZK_NOT_EMPTY'
  | 'ZK_CONNECTION_LOSS'
  | 'ZK_SESSION_EXPIRED'
  | 'ZK_TIMEOUT'
  | 'ZK_ERROR';

export class ZkError extends Error {
  constructor(readonly code: ZkErrorCode, message: string, readonly path?: string) {
    super(message);
    this.name = 'ZkError';
  }
}

export function isZkError(err: unknown, code?: ZkErrorCode): err is ZkError {
  return err instanceof ZkError && (code === undefined || err.code === code);
}

export interface ZkNode {
  readonly data: Buffer;
  readonly version: number;
  /** The session id owning an ephemeral node (hex), else '0000000000000000'. */
  readonly owner: string;
}

export interface ZkSessionOptions {
  /** host:port[,host:port…] */
  readonly connect: string;
  readonly sessionTimeoutMs: number;
  /** Bound of every call and of the first connection. */
  readonly opTimeoutMs: number;
}

/**
 * A reply the client cannot parse (seen after a server restart: `Unknown code: 2086010880` from
 * a misaligned header) throws inside the client's socket 'data' listener, where nothing can
 * catch it: the whole daemon died (exit 70). Contained here, as the client itself treats an
 * unknown op code: drop the buffered bytes and the connection, which it re-opens; the calls in
 * flight end as connection loss or by their own deadline, and fencing covers the gap.
 */
function containUnparsableReplies(): void {
  const require = createRequire(import.meta.url);
  const manager = require('node-zookeeper-client/lib/ConnectionManager.js') as {
    prototype: { onSocketData(this: { pendingBuffer: Buffer | null; socket?: { destroy(): void } }, buffer: Buffer): void; __contained?: boolean };
  };
  if (manager.prototype.__contained === true) return;
  const onSocketData = manager.prototype.onSocketData;
  manager.prototype.onSocketData = function (this, buffer) {
    try {
      onSocketData.call(this, buffer);
    } catch {
      this.pendingBuffer = null;
      this.socket?.destroy();
    }
  };
  manager.prototype.__contained = true;
}
containUnparsableReplies();

const CODES: ReadonlyMap<number, ZkErrorCode> = new Map([
  [zookeeper.Exception.NO_NODE, 'ZK_NO_NODE'],
  [zookeeper.Exception.NODE_EXISTS, 'ZK_NODE_EXISTS'],
  [zookeeper.Exception.BAD_VERSION, 'ZK_BAD_VERSION'],
  [zookeeper.Exception.NOT_EMPTY, 'ZK_NOT_EMPTY'],
  [zookeeper.Exception.CONNECTION_LOSS, 'ZK_CONNECTION_LOSS'],
  [zookeeper.Exception.SESSION_EXPIRED, 'ZK_SESSION_EXPIRED'],
]);

function toZkError(err: unknown, path: string): ZkError {
  const code = (err as { code?: unknown } | null)?.code;
  const name = typeof code === 'number' ? (CODES.get(code) ?? 'ZK_ERROR') : 'ZK_ERROR';
  return new ZkError(name, `${path}: ${String((err as Error)?.message ?? err)}`, path);
}

/** One ZooKeeper session. Emits 'state' (ZkSessionState) on every change. */
export class ZkSession extends EventEmitter {
  private readonly client: zookeeper.Client;
  private current: ZkSessionState = 'connecting';
  private heartbeat: NodeJS.Timeout | undefined;
  /** ZooKeeper calls made by this session (the benchmark counts them per container). */
  ops = 0;

  private constructor(private readonly opts: ZkSessionOptions) {
    super();
    this.client = zookeeper.createClient(opts.connect, { sessionTimeout: opts.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    this.client.on('state', (s: zookeeper.State) => {
      if (s === zookeeper.State.SYNC_CONNECTED) this.moveTo('connected');
      else if (s === zookeeper.State.DISCONNECTED) this.moveTo('suspended');
      else if (s === zookeeper.State.EXPIRED) this.moveTo('expired');
    });
  }

  /** Connects; rejects (ZK_TIMEOUT) when no server answers within opTimeoutMs. */
  static async open(opts: ZkSessionOptions): Promise<ZkSession> {
    const session = new ZkSession(opts);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.close();
        reject(new ZkError('ZK_TIMEOUT', `no ZooKeeper server of ${opts.connect} answered within ${opts.opTimeoutMs} ms`));
      }, opts.opTimeoutMs);
      session.client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      session.client.connect();
    });
    session.moveTo('connected');
    session.startHeartbeat();
    return session;
  }

  get state(): ZkSessionState {
    return this.current;
  }

  /** The session id in hex (the owner field of its ephemeral nodes). */
  get id(): string {
    return this.client.getSessionId().toString('hex');
  }

  private moveTo(state: ZkSessionState): void {
    if (this.current === state || this.current === 'closed' || (this.current === 'expired' && state !== 'closed')) return;
    this.current = state;
    if (state === 'expired' || state === 'closed') clearInterval(this.heartbeat);
    this.emit('state', state);
  }

  /**
   * A server that stops answering without closing the socket leaves the client "connected":
   * one cheap read every third of the session timeout, bounded as long, says otherwise.
   */
  private startHeartbeat(): void {
    const every = Math.max(100, Math.floor(this.opts.sessionTimeoutMs / 3));
    this.heartbeat = setInterval(() => {
      if (this.current !== 'connected' && this.current !== 'suspended') return;
      this.call<unknown>('/', (cb) => this.client.exists('/', cb), every).then(
        () => {
          if (this.client.getState() === zookeeper.State.SYNC_CONNECTED) this.moveTo('connected');
        },
        () => this.moveTo('suspended'),
      );
    }, every);
    this.heartbeat.unref();
  }

  private call<T>(path: string, run: (cb: (err: unknown, value: T) => void) => void, timeoutMs = this.opts.opTimeoutMs): Promise<T> {
    this.ops += 1;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ZkError('ZK_TIMEOUT', `${path}: no answer from ZooKeeper within ${timeoutMs} ms`, path)), timeoutMs);
      try {
        run((err, value) => {
          clearTimeout(timer);
          if (err) reject(toZkError(err, path));
          else resolve(value);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(toZkError(err, path));
      }
    });
  }

  /** Creates a node (parents must exist); returns its path (with the sequence number when sequential). */
  create(path: string, data: Buffer, mode: { ephemeral?: boolean; sequential?: boolean } = {}): Promise<string> {
    const m = zookeeper.CreateMode;
    const createMode = mode.ephemeral
      ? (mode.sequential ? m.EPHEMERAL_SEQUENTIAL : m.EPHEMERAL)
      : (mode.sequential ? m.PERSISTENT_SEQUENTIAL : m.PERSISTENT);
    return this.call<string>(path, (cb) => this.client.create(path, data, createMode, cb));
  }

  /** Creates the persistent path and its parents when missing. */
  async mkdirp(path: string): Promise<void> {
    await this.call<string>(path, (cb) => this.client.mkdirp(path, cb));
  }

  /** The node, or null when it does not exist. `watch` fires once, on its next change or deletion (the same function set twice fires once). */
  async get(path: string, watch?: () => void): Promise<ZkNode | null> {
    try {
      const [data, stat] = await this.call<[Buffer, zookeeper.Stat]>(path, (cb) => {
        const done = (err: unknown, d: Buffer, s: zookeeper.Stat): void => cb(err, [d, s]);
        if (watch) this.client.getData(path, watch, done);
        else this.client.getData(path, done);
      });
      return { data: data ?? Buffer.alloc(0), version: stat.version, owner: stat.ephemeralOwner.toString('hex') };
    } catch (err) {
      if (isZkError(err, 'ZK_NO_NODE')) {
        // getData sets no watch on a missing node: watch its creation instead. Created between
        // the two calls, the node is read again (else its creation would go unseen for good).
        if (!watch) return null;
        const stat = await this.call<zookeeper.Stat | undefined>(path, (cb) => this.client.exists(path, watch, (e, st) => cb(e, st)));
        return stat ? this.get(path, watch) : null;
      }
      throw err;
    }
  }

  /** Writes when the node's version is still `version` (-1: any); returns the new version. Rejects ZK_BAD_VERSION otherwise. */
  async set(path: string, data: Buffer, version: number): Promise<number> {
    const stat = await this.call<zookeeper.Stat>(path, (cb) => this.client.setData(path, data, version, cb));
    return stat.version;
  }

  /** The children's names. `watch` fires once, on the next change of the list. */
  children(path: string, watch?: () => void): Promise<string[]> {
    return this.call<string[]>(path, (cb) => {
      const done = (err: unknown, c: string[]): void => cb(err, c);
      if (watch) this.client.getChildren(path, watch, done);
      else this.client.getChildren(path, done);
    });
  }

  /** Removes the node (when still at `version`, -1: any). */
  async remove(path: string, version = -1): Promise<void> {
    await this.call<unknown>(path, (cb) => this.client.remove(path, version, (err) => cb(err, undefined)));
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.moveTo('closed');
    this.client.close();
    // Closed while (re)connecting, the client's connect() puts it back to CONNECTING and it
    // retries forever, which keeps the process alive after a stop: no reconnection after close,
    // and the socket goes a second later (time for CLOSE_SESSION to reach a live server).
    const manager = (this.client as unknown as { connectionManager?: { connect: () => void; socket?: { destroy(): void } } }).connectionManager;
    if (manager) {
      manager.connect = () => undefined;
      setTimeout(() => manager.socket?.destroy(), 1000).unref();
    }
  }
}
