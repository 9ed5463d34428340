// Is the proxy one that honours `service_id`? A 4.2.x/4.3.x proxy ignores it on every admin route
// but `leave` (oio-real-behaviour 37): its "per-replica" reads read any replica and its "sync of
// one slave" resyncs every slave, so nothing may be probed or repaired through it. The cheap
// signs, each seen only there, are checked by the client (src/oio/proxy-client.ts) on every call;
// this module provokes them once per CLI command and once per sweep, before anything else.
import { isOioError, OioUnsupportedProxyError } from '../oio/errors.js';
import { unsupportedProxy } from '../oio/proxy-client.js';
import type { CallOptions, ContainerRef, PeerId, ProxyApi } from '../oio/types.js';

export interface ProxyCheckOptions extends CallOptions {
  /** The container's peers when already located (the locate sign is then checked by the caller's locate). */
  readonly peers?: readonly PeerId[];
}

/**
 * Resolves when no sign of an unsupported proxy was seen; rejects with OioUnsupportedProxyError
 * on the first one. Other failures (proxy down, container gone) are not this check's business:
 * they resolve, and the probe that follows reports them.
 */
export async function checkProxySupport(proxy: ProxyApi, ref: ContainerRef, opts: ProxyCheckOptions = {}): Promise<void> {
  const call: CallOptions = { ...(opts.reqId ? { reqId: opts.reqId } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  try {
    // Sign 1: reference/show without cid (the client throws).
    const peers = opts.peers ?? (await proxy.locate(ref, call));
    const first = peers[0];
    if (first === undefined) return;
    // Sign 2: a per-peer answer listing peers other than the one asked (the client throws).
    await proxy.has(ref, [first], call);
    // Sign 3: a table for a service_id that is not a peer of the container. The non-peer is a real
    // meta2 service (a proxy that honours service_id answers it empty maps: it has no such base,
    // oio-real-behaviour 18); with no meta2 service outside the peers, signs 1 and 2 must do.
    const services = await proxy.listServices('meta2', call);
    const other = services.find((s) => !peers.includes(s.addr))?.addr;
    if (other === undefined) return;
    const table = await proxy.getProperties(ref, other, call).catch((err: unknown) => {
      if (err instanceof OioUnsupportedProxyError) throw err;
      return undefined;
    });
    if (table && Object.keys(table.system).length > 0) {
      throw unsupportedProxy('admin/get_properties', `get_properties?service_id=${other} (not a peer of ${ref.cid}) answered a replica's admin table`);
    }
  } catch (err) {
    if (err instanceof OioUnsupportedProxyError) throw err;
    if (isOioError(err)) return;
    throw err;
  }
}

/** True for the guard's error, whether thrown or carried in a probe report's `error.code`. */
export function isUnsupportedProxy(err: unknown): boolean {
  if (err instanceof OioUnsupportedProxyError) return true;
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'OIO_UNSUPPORTED_PROXY';
}
