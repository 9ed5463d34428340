// A real node:http server on 127.0.0.1, port 0, that answers every request with whatever the
// current property run scripted: any status, headers and raw bytes, sent whole, chunked, cut
// short mid-body, refused by a reset, or never sent at all. It also records the decoded query
// of each request, for the query-encoding round trip.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocal } from '../helpers/listen.js';

export type Delivery = 'whole' | 'chunked' | 'cut' | 'reset' | 'stall';

export interface ScriptedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly delivery: Delivery;
}

export interface AnswerServer {
  readonly url: string;
  /** The answer every request gets until the next call. */
  script(answer: ScriptedAnswer | ((req: IncomingMessage) => ScriptedAnswer)): void;
  /** Decoded query of every request since the last script() call. */
  readonly queries: URLSearchParams[];
  close(): Promise<void>;
}

export async function startAnswerServer(): Promise<AnswerServer> {
  let current: ScriptedAnswer | ((req: IncomingMessage) => ScriptedAnswer) = { status: 200, headers: {}, body: new Uint8Array(), delivery: 'whole' };
  const queries: URLSearchParams[] = [];

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    queries.push(new URL(req.url ?? '/', 'http://fuzz').searchParams);
    const a = typeof current === 'function' ? current(req) : current;
    switch (a.delivery) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'stall':
        return; // the client's own headers timeout must end the call
      case 'cut':
        res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.length + 64) });
        res.write(a.body, () => setImmediate(() => req.socket.destroy()));
        return;
      case 'chunked':
        res.writeHead(a.status, a.headers);
        res.write(a.body.subarray(0, Math.floor(a.body.length / 2)));
        res.end(a.body.subarray(Math.floor(a.body.length / 2)));
        return;
      case 'whole':
        res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.length) });
        res.end(a.body);
    }
  };

  // Large enough for the very long container names of the round-trip property.
  const server = createServer({ maxHeaderSize: 512 * 1024 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      try {
        answer(req, res);
      } catch {
        req.socket.destroy();
      }
    });
  });
  const listening = await listenLocal(server);
  return {
    url: listening.url,
    queries,
    script(next) {
      current = next;
      queries.length = 0;
    },
    close: listening.close,
  };
}
