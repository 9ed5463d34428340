// A transparent HTTP forwarder put between the daemon and the simulator, recording every proxy
// call (route, container, peer, status). It lets an end-to-end test see, per container, what
// the daemon asked — "every container was probed", "a healthy container cost R+1 requests" —
// which the simulator's aggregate stats cannot tell. It can also go down and come back on the
// same port, like a restarted oio-proxy.
import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedCall {
  readonly method: string;
  /** The route after `/v3.0/{NS}/`, e.g. `admin/get_properties`; the path for other calls. */
  readonly route: string;
  readonly account?: string;
  readonly container?: string;
  readonly cid?: string;
  readonly serviceId?: string;
  /** HTTP status of the answer; undefined when the upstream did not answer. */
  readonly status?: number;
}

export interface RecordingProxy {
  readonly url: string;
  readonly calls: RecordedCall[];
  /** `account/container` keys of the containers that got a call on `route` with `status`. */
  containersWith(route: string, status?: number): Map<string, RecordedCall[]>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export function containerKey(account: string, container: string): string {
  return `${account}/${container}`;
}

/**
 * Containers that got a read on each of their `replicas` peers in recorder.calls[from, to);
 * with `okOnly`, only reads the proxy answered 200 count.
 */
export function probedContainers(
  recorder: RecordingProxy,
  { from = 0, to = recorder.calls.length, okOnly = false, replicas = 3 }: { from?: number; to?: number; okOnly?: boolean; replicas?: number } = {},
): Set<string> {
  const peers = new Map<string, Set<string>>();
  for (const c of recorder.calls.slice(from, to)) {
    if (c.route !== 'admin/get_properties' || c.account === undefined || c.container === undefined) continue;
    if (okOnly && c.status !== 200) continue;
    const key = containerKey(c.account, c.container);
    const set = peers.get(key) ?? new Set<string>();
    set.add(c.serviceId ?? '');
    peers.set(key, set);
  }
  // At least: the first container of a sweep also gets the proxy check's read of one non-peer.
  return new Set([...peers].filter(([, s]) => s.size >= replicas).map(([k]) => k));
}

/** `hang`: calls it matches are recorded and never answered (a request the proxy sits on). */
export async function startRecordingProxy(upstream: string, opts: { hang?: (call: RecordedCall) => boolean } = {}): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const calls: RecordedCall[] = [];
  const sockets = new Set<Socket>();
  let port = 0;

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v3\.0\/[^/]+\/(.+)$/.exec(url.pathname);
    const q = url.searchParams;
    const base = {
      method: req.method ?? 'GET',
      route: m ? (m[1] as string) : url.pathname,
      ...(q.get('acct') !== null ? { account: q.get('acct') as string } : {}),
      ...(q.get('ref') !== null ? { container: q.get('ref') as string } : {}),
      ...(q.get('cid') !== null ? { cid: q.get('cid') as string } : {}),
      ...(q.get('service_id') !== null ? { serviceId: q.get('service_id') as string } : {}),
    };
    if (opts.hang?.(base)) {
      calls.push(base);
      return;
    }
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        calls.push({ ...base, status: upRes.statusCode ?? 0 });
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      // The upstream is down: look down too (no answer at all), as a dead proxy would.
      calls.push(base);
      req.socket.destroy();
    });
    req.pipe(up);
  };

  const server: Server = createServer(forward);
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });

  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    calls,
    containersWith(route, status) {
      const out = new Map<string, RecordedCall[]>();
      for (const c of calls) {
        if (c.route !== route || c.account === undefined || c.container === undefined) continue;
        if (status !== undefined && c.status !== status) continue;
        const key = containerKey(c.account, c.container);
        const list = out.get(key);
        if (list) list.push(c);
        else out.set(key, [c]);
      }
      return out;
    },
    pause: stop,
    resume: async () => {
      if (!server.listening) await listen();
    },
    close: async () => {
      await stop();
      agent.destroy();
    },
  };
}
