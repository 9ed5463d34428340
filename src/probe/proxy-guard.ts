// The once-per-sweep (and once-per-command) look at the proxy, before anything else: the signs of
// its oio-sds line (oio-line.ts), above all of a 4.2.x/4.3.x proxy that ignores `service_id` on
// every admin route but `leave` (oio-real-behaviour 37), whose "per-replica" reads read any
// replica and whose "sync of one slave" resyncs every slave. Pass it a STRICT client
// (ProxyClient.strict()): one that still throws on those signs, so that they can be seen.
import { isOioError, OioUnsupportedProxyError } from '../oio/errors.js';
import { unsupportedProxy } from '../oio/proxy-client.js';
import type { CallOptions, ContainerRef, PeerId, ProxyApi } from '../oio/types.js';
import { detectLine, type LineSigns } from './oio-line.js';

export interface ProxyCheckOptions extends CallOptions {
  /**
   * The container's peers when the caller located it already. reference/show is read again all
   * the same (once per sweep): through a client adapted to 4.2.x its answer shows no sign.
   */
  readonly peers?: readonly PeerId[];
}

export interface ProxyInspection {
  readonly signs: LineSigns;
  /** The first 4.2.x sign as the strict client reported it, if one was seen. */
  readonly oldProxy?: OioUnsupportedProxyError;
}

type Signs = { -readonly [K in keyof LineSigns]: LineSigns[K] };

/**
 * Gathers the signs with the requests the check always made: reference/show, `has` on one peer,
 * conscience/list, and (only where it touches no election, or where `has` could not tell) a
 * get_properties for a service that is not a peer. Never rejects on a 4.2.x sign: it returns it.
 * Other failures (proxy down, container gone) end the look with what was seen; the probe that
 * follows reports them.
 */
export async function inspectProxy(proxy: ProxyApi, ref: ContainerRef, opts: ProxyCheckOptions = {}): Promise<ProxyInspection> {
  const call: CallOptions = { ...(opts.reqId ? { reqId: opts.reqId } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const signs: Signs = {};
  try {
    // Sign 1: reference/show without cid (the strict client throws).
    const located = await proxy.locate(ref, call);
    signs.referenceCid = true;
    const peers = opts.peers ?? located;
    const first = peers[0];
    if (first === undefined) return { signs };
    // Sign 2: a per-peer answer listing peers other than the one asked (the strict client throws).
    const has = await proxy.has(ref, [first], call);
    if (peers.length >= 2) signs.serviceIdIgnored = false;
    const body = has.find((a) => a.peer === first && a.status === 200)?.body;
    if (body !== undefined && body !== '') signs.hasMtime = /:\d+$/.test(body);
    const services = await proxy.listServices('meta2', call);
    signs.conscienceScores = services.some((s) => s.scores !== undefined);
    // Sign 3: a table for a service_id that is not a peer of the container (a proxy that honours
    // service_id answers it empty maps: no such base there, oio-real-behaviour 18). Before master
    // that read runs the non-peer's election for a base it does not host, so it is made only when
    // `has` could not tell (one peer) or the proxy reads local=1 (master).
    if (peers.length >= 2 && !signs.conscienceScores) return { signs };
    const other = services.find((s) => !peers.includes(s.addr))?.addr;
    if (other === undefined) return { signs };
    const table = await proxy.getProperties(ref, other, call).catch((err: unknown) => {
      if (err instanceof OioUnsupportedProxyError) throw err;
      return undefined;
    });
    if (table && Object.keys(table.system).length > 0) {
      throw unsupportedProxy('admin/get_properties', `get_properties?service_id=${other} (not a peer of ${ref.cid}) answered a replica's admin table`);
    }
    if (peers.length < 2) signs.serviceIdIgnored = false;
    return { signs };
  } catch (err) {
    if (err instanceof OioUnsupportedProxyError) {
      if (err.route === 'reference/show') signs.referenceCid = false;
      else signs.serviceIdIgnored = true;
      return { signs, oldProxy: err };
    }
    if (isOioError(err)) return { signs };
    throw err;
  }
}

/**
 * Resolves when no sign of a 4.2.x/4.3.x proxy was seen; rejects with OioUnsupportedProxyError on
 * the first one. For callers that cannot act through such a proxy at all (the proxy transport).
 */
export async function checkProxySupport(proxy: ProxyApi, ref: ContainerRef, opts: ProxyCheckOptions = {}): Promise<void> {
  const { signs, oldProxy } = await inspectProxy(proxy, ref, opts);
  if (oldProxy) throw oldProxy;
  if (detectLine(signs).line === '4.2') throw unsupportedProxy('reference/show', 'the proxy shows the signs of 4.2.x');
}

/** True for the guard's error, whether thrown or carried in a probe report's `error.code`. */
export function isUnsupportedProxy(err: unknown): boolean {
  if (err instanceof OioUnsupportedProxyError) return true;
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'OIO_UNSUPPORTED_PROXY';
}
