// Parses a listen address (`host:port`, `[::1]:port`) strictly, once, for both the config schema
// and the HTTP server, so a value the schema accepted is a value the server can bind.
// A host is required: an empty host would bind every interface, which must be asked for
// explicitly (`0.0.0.0:9464` or `[::]:9464`, with metrics.allowRemote: see isLoopbackHost).

export interface ListenAddress {
  /** Host name or IP address, without IPv6 brackets. */
  readonly host: string;
  /** 0 asks the kernel for a free port. */
  readonly port: number;
}

export type ListenParse = { readonly ok: true; readonly address: ListenAddress } | { readonly ok: false; readonly reason: string };

const IPV6_FORM = /^\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]:(\d+)$/;
const HOST_FORM = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d+)$/;

export function parseListen(listen: string): ListenParse {
  const match = IPV6_FORM.exec(listen) ?? HOST_FORM.exec(listen);
  if (!match) {
    return { ok: false, reason: 'must be host:port or [ipv6]:port (for example 127.0.0.1:9464 or [::1]:9464)' };
  }
  const host = match[1] as string;
  const portText = match[2] as string;
  const port = Number(portText);
  if (portText.length > 5 || port > 65535) return { ok: false, reason: `port ${portText} is outside 0-65535` };
  return { ok: true, address: { host, port } };
}

/** `host:port`, with brackets around IPv6 addresses (for logs and URLs). */
export function formatListen(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * True for a host that only the machine itself can reach: `localhost`, 127.0.0.0/8, ::1 and
 * ::ffff:127.x.y.z. Anything else (0.0.0.0, ::, another address, a host name) faces a network.
 */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const v4 = lower.startsWith('::ffff:') ? lower.slice('::ffff:'.length) : lower;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
