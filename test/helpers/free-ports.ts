// Loopback ports free right now, for simulated meta2 services whose id is the address their
// native port listens on. Held open together so they are distinct, then released.
import { createServer, type AddressInfo, type Server } from 'node:net';

export async function freeLoopbackPorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** `n` service ids `127.0.0.1:PORT` on free ports. */
export async function freeServiceIds(n: number): Promise<string[]> {
  return (await freeLoopbackPorts(n)).map((p) => `127.0.0.1:${p}`);
}
