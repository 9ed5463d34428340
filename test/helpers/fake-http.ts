// A real node:http server on 127.0.0.1, port 0, answering from a route table, and recording
// every request it received (method, path, decoded query, raw query, headers, body) so tests
// can check the exact wire request. Protocol tests use it instead of mocking undici.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenLocal } from './listen.js';

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Query string as sent, without `?` (to check encoding). */
  readonly rawQuery: string;
  /** Decoded query parameters, in order. */
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What a route answers: a status and JSON (or raw text), or a full hand-written reply. */
export type FakeReply =
  | { readonly status?: number; readonly json?: unknown; readonly text?: string; readonly headers?: Record<string, string> }
  | ((req: RecordedRequest, res: ServerResponse) => void | Promise<void>);

/** A handler per `METHOD /path`; an array answers each call with the next item (the last repeats). */
export type RouteTable = Record<string, FakeReply | FakeReply[]>;

export interface FakeHttpServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests to one `METHOD /path`. */
  calls(route: string): RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeHttp(routes: RouteTable): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const counters = new Map<string, number>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const full = req.url ?? '/';
      const q = full.indexOf('?');
      const path = q === -1 ? full : full.slice(0, q);
      const rawQuery = q === -1 ? '' : full.slice(q + 1);
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        rawQuery,
        query: new URLSearchParams(rawQuery),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const key = `${recorded.method} ${path}`;
      const entry = routes[key];
      if (entry === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 404, message: 'No handler found' }));
        return;
      }
      const n = counters.get(key) ?? 0;
      counters.set(key, n + 1);
      const reply = Array.isArray(entry) ? entry[Math.min(n, entry.length - 1)] : entry;
      void answer(reply as FakeReply, recorded, res);
    });
  });
  const listening = await listenLocal(server);

  return {
    url: listening.url,
    requests,
    calls: (route) => requests.filter((r) => `${r.method} ${r.path}` === route),
    close: listening.close,
  };
}

async function answer(reply: FakeReply, req: RecordedRequest, res: ServerResponse): Promise<void> {
  if (typeof reply === 'function') {
    await reply(req, res);
    return;
  }
  const status = reply.status ?? 200;
  if (reply.json !== undefined) {
    res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.json));
  } else if (reply.text !== undefined) {
    res.writeHead(status, { ...reply.headers });
    res.end(reply.text);
  } else {
    res.writeHead(status, { ...reply.headers });
    res.end();
  }
}

/** A port that refuses connections: bound then closed. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
