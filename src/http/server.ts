// The daemon's own HTTP server, plain node:http: GET /metrics (Prometheus exposition), /healthz
// (the process answers), /readyz (the caller's readiness: config loaded, proxy answered
// recently), plus the caller's HTML pages (the status page at /, /runbook). A few routes need
// no framework. Loopback by default (metrics.listen); it serves
// no secrets but is not meant to face the internet.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { formatListen, parseListen, type ListenAddress } from '../config/listen.js';

/** The part of a prom-client Registry the server uses. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready (sent as JSON with the 503). */
  readonly reason?: string;
  /** What the daemon holds back while it works (a suspension, an open breaker): lines of the body. */
  readonly notes?: readonly string[];
}

export interface HttpServerOptions {
  /** `host:port` or `[ipv6]:port`; port 0 picks a free port. */
  readonly listen: string;
  readonly registry: MetricsSource;
  readonly readiness: () => Readiness;
  readonly log: Logger;
  /** HTML pages by exact path (GET / is the status page); each call renders the page afresh. */
  readonly pages?: Readonly<Record<string, () => string | Promise<string>>>;
  /** Connections held at once; more are closed as they come (metrics.maxConnections). */
  readonly maxConnections: number;
  /** A client that has not sent a whole request by then is cut off, idle ones included. @default 10000 */
  readonly headersTimeoutMs?: number;
}

/** Every wait of a client bounded: a scrape is one small request. */
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export interface RunningHttpServer {
  /** The bound address (the real port when 0 was asked). */
  readonly address: ListenAddress;
  /** Stops accepting, closes idle keep-alive sockets, resolves when in-flight requests ended. */
  close(): Promise<void>;
}

export class HttpServerError extends Error {
  readonly code: 'REPAIRD_HTTP_LISTEN';
  readonly listen: string;

  constructor(listen: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpServerError';
    this.code = 'REPAIRD_HTTP_LISTEN';
    this.listen = listen;
  }
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const parsed = parseListen(opts.listen);
  if (!parsed.ok) throw new HttpServerError(opts.listen, `invalid listen address ${JSON.stringify(opts.listen)}: ${parsed.reason}`);
  const log = opts.log;

  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  // connectionsCheckingInterval: how often expired connections are looked for (default 30 s),
  // so that an idle connection holds its file descriptor for about headersTimeout, not 40 s.
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req, res) => {
    route(req, res, opts).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // Scrapes are small and quick: a client that connects and sends nothing, or stalls, is cut
  // off; and no more than maxConnections at once, so that idle clients cannot take the file
  // descriptors the sweeps need (the unit's LimitNOFILE counts on this cap).
  server.maxConnections = opts.maxConnections;
  server.headersTimeout = headersTimeout;
  server.requestTimeout = Math.max(REQUEST_TIMEOUT_MS, headersTimeout);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new HttpServerError(opts.listen, `cannot listen on ${opts.listen}: ${err.code ?? err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: parsed.address.host, port: parsed.address.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'http server error'));

  const bound = server.address() as AddressInfo;
  const address: ListenAddress = { host: bound.address, port: bound.port };
  log.info({ listen: formatListen(address) }, 'http server listening');

  let closing: Promise<void> | undefined;
  return {
    address,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Node 20's close() already drops idle keep-alive sockets; say so explicitly anyway.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

async function route(req: IncomingMessage, res: ServerResponse, opts: HttpServerOptions): Promise<void> {
  const path = pathOf(req.url);
  const page = Object.hasOwn(opts.pages ?? {}, path) ? opts.pages?.[path] : undefined;
  if (page && req.method === 'GET') {
    send(res, 200, 'text/html; charset=utf-8', await page());
    return;
  }
  if (!page && path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
    send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
    return;
  }
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  if (path === '/healthz') {
    send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  } else if (path === '/readyz') {
    serveReadiness(res, opts);
  } else {
    await serveMetrics(res, opts);
  }
}

async function serveMetrics(res: ServerResponse, opts: HttpServerOptions): Promise<void> {
  let body: string;
  try {
    body = await opts.registry.metrics();
  } catch (err) {
    // A 500 makes Prometheus record up == 0 for this scrape, which is what an operator should see.
    opts.log.error({ err }, 'metrics collection failed');
    send(res, 500, 'text/plain; charset=utf-8', 'metrics collection failed\n');
    return;
  }
  send(res, 200, opts.registry.contentType, body);
}

function serveReadiness(res: ServerResponse, opts: HttpServerOptions): void {
  let readiness: Readiness;
  try {
    readiness = opts.readiness();
  } catch (err) {
    opts.log.error({ err }, 'readiness check failed');
    readiness = { ready: false, reason: `readiness check failed: ${(err as Error).message}` };
  }
  // Notes (a suspension, an open circuit breaker) say what the daemon holds back while it works.
  const notes = readiness.notes ?? [];
  if (readiness.ready) send(res, 200, 'text/plain; charset=utf-8', `ready\n${notes.map((n) => `${n}\n`).join('')}`);
  else send(res, 503, 'application/json', `${JSON.stringify({ ready: false, reason: readiness.reason ?? 'not ready', ...(notes.length > 0 ? { notes } : {}) })}\n`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}
