// Starts a test server on 127.0.0.1, an ephemeral port, tracking its sockets so close() never
// waits on a keep-alive client (which would hold the test runner open).
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ListeningServer {
  readonly url: string;
  readonly port: number;
  /** Destroys open sockets, then closes the server. */
  close(): Promise<void>;
}

export async function listenLocal(server: Server): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
