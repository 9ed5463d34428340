// A hostile HTTP server on 127.0.0.1 that never finishes an answer: it drips one byte every
// `intervalMs`, either of the headers (the status line itself arrives byte by byte) or of a body
// announced as 2000 bytes. Each byte resets the idle timers of a client (undici's headers and
// body timeouts), so only a total deadline ends a request to it.
import { createServer, type Socket } from 'node:net';

export type DripMode = 'headers' | 'body';

export interface DripServer {
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function startDripServer(opts: { mode: DripMode; intervalMs?: number }): Promise<DripServer> {
  const intervalMs = opts.intervalMs ?? 2000;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n';
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    let started = false;
    let sent = 0;
    const drip = (): void => {
      if (socket.destroyed) return;
      if (opts.mode === 'headers') {
        socket.write(head.charAt(sent % head.length));
      } else {
        if (sent === 0) socket.write(head);
        socket.write(sent === 0 ? '[' : ' ');
      }
      sent += 1;
    };
    const timer = setInterval(drip, intervalMs);
    socket.on('data', () => {
      // The first bytes of the request start the drip; the request is never read to its end.
      if (started) return;
      started = true;
      drip();
    });
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('drip server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
