// The address of a meta2 service's native port, parsed from its service id. Shared by the native
// client and the simulator's native listener, which must agree on it; nothing else lives here.
import type { PeerId } from '../oio/types.js';

/** `IP:PORT` or `[IPv6]:PORT`, as meta1 registers a service. */
export function parsePeerAddress(peer: PeerId): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(peer);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}
