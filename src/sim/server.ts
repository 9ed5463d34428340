// The simulator's HTTP server: one node:http listener answering the proxy routes
// (`/v3.0/{NS}/…`), the account service routes (`/v1.0/account/…`) and the control routes
// (`/__sim/…`). Owns the resync timers and the open sockets so pause()/close() are clean.
// Keep-alive friendly by default; `connectionClose: true` copies the real proxy's Connection: Close.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Scheduler } from './election.js';
import type { FaultSpec, InjectedFault } from './faults.js';
import type { GenerateOptions } from './generator.js';
import type { ContainerTruth } from './model.js';
import { truthOf } from './model.js';
import { SimNamespace } from './namespace.js';
import { type Scenario, parseScenario } from './scenario.js';
import { type SimStats, StatsRecorder } from './stats.js';
import { prng } from './generator.js';
import { type OioVersion, quirksOf } from './versions.js';
import { type Reply, REASONS, SimHttpError, errorReply, notFoundRoute } from './wire.js';
import type { SimContext, SimRequest } from './routes/context.js';
import { PeerVisit } from './routes/visit.js';
import { flag } from './routes/locate.js';
import { handleProxy, proxyRouteKey } from './routes/proxy.js';
import { accountRouteKey, handleAccount } from './routes/account.js';
import { handleControl } from './control.js';
import { LoadModel, type LoadSpec } from './load.js';
import { isCid } from '../oio/cid.js';
import { SimNativeServices } from './native/server.js';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default: the scenario's, else 'OPENIO'. */
  namespace?: string;
  /** Explicit services, containers and faults (see loadScenario). */
  scenario?: Scenario;
  /** A seeded lazy namespace; overrides `scenario.generate`. */
  generate?: GenerateOptions;
  /** Base latency of every proxy and account answer, in ms (default: scenario's, else 0). */
  latencyMs?: number;
  /** Delay before a sync's copy lands on a slave, in ms (default: scenario's, else 20). */
  syncDelayMs?: number;
  /** Send `Connection: close` on every reply as the real proxy does (default false: keep-alive). */
  connectionClose?: boolean;
  /**
   * oio-sds line to impersonate: master, 7, 5, 4.4 or 4.2 (default: scenario's, else 'master'):
   * its proxy's routes, parameters and answers, its meta2 bases' admin keys and its account
   * service's listings (src/sim/versions.ts).
   */
  oioVersion?: OioVersion;
  /**
   * `server.periodic_decache.period` of the meta2 services: a base changed on disk (onDisk faults)
   * is closed, and the change seen, this long after the change; 0 = never, the real default
   * (default: scenario's, else 0). `POST /__sim/drop_cache` closes them at once.
   */
  decachePeriodMs?: number;
  /** Delay of a restore from the master (a renamed corrupt replica, a missing slave after an election); default 1500. */
  restoreDelayMs?: number;
  /**
   * Whether an account service is registered in the conscience (default: scenario's, else true).
   * false: `conscience/list?type=account` answers 404 `{"status":453,"message":"Service type
   * [account] not managed"}` on every call (oio-real-behaviour 27); the account routes stay served.
   */
  accountService?: boolean;
  /**
   * Time from a `down` fault (a killed service) until the conscience marks it down: per-peer code
   * 2 "Connection refused" before, code 8 "Request avoided, service marked down" after, and
   * `tag.up` false (default: scenario's, else 15000, as observed).
   */
  markDownAfterMs?: number;
  /** Seed of the simulator's own random choices (which peer a proxy reaches first…); default: scenario's, else 1. */
  seed?: number;
  /**
   * Each meta2 service also listens for the native protocol on its own address (its id, which
   * must be a free loopback IP:PORT): see src/sim/native/. Default false.
   */
  native?: boolean;
  /** Capacity of the proxy and the meta2 services, and background traffic (default: scenario's, else none). */
  load?: LoadSpec;
  /**
   * Count the `admin/get_properties` reads each container gets (stats.readsByContainer), so a
   * test can check that every container was probed. Off by default (a map entry per container).
   */
  countReads?: boolean;
}

export interface Simulator {
  /** `http://host:port`: proxy routes under /v3.0/{NS}/, account routes under /v1.0/account/. */
  readonly url: string;
  readonly namespace: string;
  close(): Promise<void>;
  /** Stops answering (listener closed, sockets destroyed), keeping all state. */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  inject(fault: FaultSpec): InjectedFault;
  /** Closes the bases changed on disk (of one service, or all), as a cache drop; returns how many. */
  dropCache(service?: string): number;
  /** Impersonates another proxy version from now on (e.g. an operator replacing a 4.2.x proxy). */
  setOioVersion(version: OioVersion): void;
  injected(): InjectedFault[];
  /** Background client traffic from now on, requests per second (the load model's). */
  setBackgroundLoad(rps: number): void;
  truth(cid: string): ContainerTruth | undefined;
  stats(): SimStats;
  resetStats(): void;
}

const MAX_BODY = 1 << 20;

class TimerScheduler implements Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  defer(ms: number, task: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      task();
    }, ms);
    t.unref();
    this.timers.add(t);
  }
  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new SimHttpError(400, 400, 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

class SimServer implements Simulator {
  readonly namespace: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly ns: SimNamespace;
  private readonly statsRecorder: StatsRecorder;
  private readonly scheduler = new TimerScheduler();
  private readonly ctx: SimContext & { quirks: SimContext['quirks'] };
  private readonly latencyMs: number;
  private readonly connectionClose: boolean;
  private readonly host: string;
  private port: number;
  private paused = pauseController();
  readonly nativeServices: SimNativeServices;
  private readonly load: LoadModel;

  constructor(opts: SimulatorOptions) {
    const scenario = opts.scenario ?? {};
    this.statsRecorder = new StatsRecorder({ countReads: opts.countReads ?? false });
    this.namespace = opts.namespace ?? scenario.namespace ?? 'OPENIO';
    const generate = opts.generate ?? scenario.generate;
    const oioVersion = opts.oioVersion ?? scenario.oioVersion ?? 'master';
    this.ns = new SimNamespace(this.namespace, { ...scenario, ...(generate ? { generate } : {}), oioVersion });
    this.latencyMs = opts.latencyMs ?? scenario.latencyMs ?? 0;
    this.connectionClose = opts.connectionClose ?? false;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.ctx = {
      ns: this.ns,
      stats: this.statsRecorder,
      scheduler: this.scheduler,
      syncDelayMs: opts.syncDelayMs ?? scenario.syncDelayMs ?? 20,
      address: () => `${this.host}:${this.port}`,
      random: prng(opts.seed ?? scenario.seed ?? 1),
      quirks: quirksOf(oioVersion),
      markDownAfterMs: opts.markDownAfterMs ?? scenario.markDownAfterMs ?? 15_000,
      accountService: opts.accountService ?? scenario.accountService ?? true,
      decachePeriodMs: opts.decachePeriodMs ?? scenario.decachePeriodMs ?? 0,
      restoreDelayMs: opts.restoreDelayMs ?? scenario.restoreDelayMs ?? 1500,
    };
    this.nativeServices = new SimNativeServices(this.ctx);
    this.load = new LoadModel(opts.load ?? scenario.load ?? {}, this.ns.services, prng((opts.seed ?? scenario.seed ?? 1) + 1));
    this.server = createServer((req, res) => void this.answer(req, res));
    this.server.keepAliveTimeout = 5_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', onError);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    this.paused.abort();
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.server.closeAllConnections();
    });
  }

  async close(): Promise<void> {
    this.scheduler.cancelAll();
    this.load.stop();
    await Promise.all([this.stopListening(), this.nativeServices.close()]);
  }

  async pause(): Promise<void> {
    await this.stopListening();
  }

  async resume(): Promise<void> {
    if (this.server.listening) return;
    this.paused = pauseController();
    await this.listen();
  }

  inject(fault: FaultSpec): InjectedFault {
    return this.ns.inject(fault, 'inject');
  }

  dropCache(service?: string): number {
    return this.ns.dropCaches(service);
  }

  setOioVersion(version: OioVersion): void {
    this.ctx.quirks = quirksOf(version);
  }

  injected(): InjectedFault[] {
    return this.ns.injected();
  }

  setBackgroundLoad(rps: number): void {
    this.load.setBackground(rps);
  }

  truth(cid: string): ContainerTruth | undefined {
    if (!isCid(cid)) return undefined;
    const c = this.ns.findByCid(cid.toUpperCase());
    return c ? truthOf(c) : undefined;
  }

  stats(): SimStats {
    return this.statsRecorder.snapshot(this.ns.materialisedCount);
  }

  /** The meta2 service ids of the namespace. */
  services(): readonly string[] {
    return this.ns.services;
  }

  resetStats(): void {
    this.statsRecorder.reset();
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    // Only the pause signal: a per-request AbortController costs a DOMException per request.
    const signal = this.paused.signal;
    const visit = new PeerVisit(this.ns, this.statsRecorder, headerValue(req.headers['x-oio-timeout']), signal, {
      markDownAfterMs: this.ctx.markDownAfterMs,
      bypassServiceDown: this.ctx.quirks.readsBypassServiceDown && flag(url.searchParams, 'bypass_service_down'),
      reqId: headerValue(req.headers['x-oio-req-id']) ?? '',
      load: this.load,
    });
    let status = 500;
    let started = false;
    try {
      const body = await readBody(req);
      let reply: Reply;
      const parts = splitPath(path);
      if (parts === undefined) throw notFoundRoute();
      const request = (route: string): SimRequest => ({ method, route, query: url.searchParams, headers: req.headers, body, visit });
      if (parts.kind === 'control') {
        reply = handleControl(this.ns, this.statsRecorder, request(parts.route), this.load);
      } else {
        const statsKey = parts.kind === 'proxy' ? proxyRouteKey(method, parts.route) : accountRouteKey(method, parts.route);
        this.statsRecorder.requestStarted(statsKey ?? 'unknown');
        started = true;
        if (this.latencyMs > 0) await sleep(this.latencyMs, undefined, { signal }).catch(() => undefined);
        const proxyStation = this.load.proxy;
        reply = parts.kind !== 'proxy'
          ? handleAccount(this.ctx, request(parts.route))
          : proxyStation
            ? await proxyStation.hold(() => handleProxy(this.ctx, request(parts.route), parts.namespace), signal)
            : await handleProxy(this.ctx, request(parts.route), parts.namespace);
        if (reply.body !== undefined && visit.takeMalformed()) {
          reply = { ...reply, body: reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2))) };
        }
      }
      status = reply.status;
      this.write(res, reply);
    } catch (err) {
      const e = err instanceof SimHttpError ? err : new SimHttpError(500, 500, `Internal error: ${(err as Error).message}`);
      const reply = errorReply(e);
      status = reply.status;
      this.write(res, { ...reply, backendPeers: e.backendPeers.length > 0 ? e.backendPeers : visit.peers });
    } finally {
      visit.finish();
      if (started) this.statsRecorder.requestEnded(status);
    }
  }

  private write(res: ServerResponse, reply: Reply): void {
    if (res.destroyed || res.headersSent) return;
    res.statusCode = reply.status;
    res.statusMessage = REASONS[reply.status] ?? 'Unknown';
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.status === 503) res.setHeader('Retry-After', '1');
    if (reply.status >= 400 && reply.backendPeers && reply.backendPeers.length > 0) {
      res.setHeader('x-backend-service-id', reply.backendPeers.join(','));
    }
    if (this.connectionClose) res.setHeader('Connection', 'close');
    if (reply.body === undefined) {
      res.end();
      return;
    }
    const buf = Buffer.from(reply.body, 'utf8');
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', buf.length);
    res.end(buf);
  }
}

type PathParts =
  | { readonly kind: 'proxy'; readonly namespace: string; readonly route: string }
  | { readonly kind: 'account'; readonly route: string }
  | { readonly kind: 'control'; readonly route: string };

/** Splits the path; `//` anywhere is no route (real-behaviour 19), a trailing `/` is accepted. */
function splitPath(path: string): PathParts | undefined {
  if (path.includes('//')) return undefined;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  let m = /^\/v3\.0\/([^/]+)\/(.+)$/.exec(trimmed);
  if (m) return { kind: 'proxy', namespace: decodeURIComponent(m[1] as string), route: m[2] as string };
  m = /^\/v1\.0\/account\/(.+)$/.exec(trimmed);
  if (m) return { kind: 'account', route: m[1] as string };
  m = /^\/__sim\/(.+)$/.exec(trimmed);
  if (m) return { kind: 'control', route: m[1] as string };
  return undefined;
}

/** Starts a simulator; resolves once it listens. */
/**
 * The signal every request in flight waits on (latency, load-model queues) until pause(): one
 * listener per waiting request, removed when its wait ends, so more than 10 at once is normal,
 * not a leak (Node would warn at 11).
 */
function pauseController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const scenario = opts.scenario ? parseScenario(opts.scenario) : undefined;
  const sim = new SimServer({ ...opts, ...(scenario ? { scenario } : {}) });
  await sim.listen();
  if (opts.native) {
    try {
      await sim.nativeServices.start(sim.services());
    } catch (err) {
      await sim.close();
      throw err;
    }
  }
  return sim;
}
