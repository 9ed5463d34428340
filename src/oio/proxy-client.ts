// ProxyApi over HTTP: the only code that knows the proxy's routes and parameters. Reads always
// go to one named peer with `local=1` (a read without it may CREATE empty bases); election
// actions are never retried here, because the repair planner decides what to do after a failure.
import { OioHttpError, OioBadAnswerError, OioUnavailableError, OioUnreachableError, OioUnsupportedProxyError } from './errors.js';
import { OioHttp, type HttpClientOptions, type QueryValue } from './http.js';
import { debugBody, parseAdminTable, parsePeerAnswers, parseReference, parseServices, stringBody, type BodyParser } from './parse.js';
import type { AdminTable, CallOptions, ContainerRef, ElectionDebug, PeerAnswer, PeerId, ProxyApi, ServiceInfo } from './types.js';
import type { OioLine } from './versions.js';

export interface ProxyClientOptions {
  readonly http: OioHttp;
  /** Namespace, e.g. `OPENIO`: the second segment of every route. */
  readonly namespace: string;
}

type PeerAction = 'has' | 'status' | 'debug' | 'sync' | 'leave';
type ProxyRoute = 'reference/show' | 'admin/get_properties' | `admin/${PeerAction}` | 'admin/set_properties' | 'conscience/list';

/**
 * Whether each route carries `x-oio-admin: 1` (admin/"urgent" mode). None does; why, route by route:
 * the reference says the proxy's admin routes do not need it from the client (oio-api-sources 5.1),
 * the per-replica answers documented there were all taken without it (oio-native-protocol 2),
 * and on a master proxy it is harmful on writes (oio-real-behaviour 23, 28).
 */
const ADMIN_HEADER: Readonly<Record<ProxyRoute, boolean>> = {
  // A directory read (meta1); admin mode has no meaning there.
  'reference/show': false,
  // `service_id` + `local=1` already pin the replica; the route sets admin mode itself (stats.*).
  'admin/get_properties': false,
  // Per-peer election calls: `service_id` selects the peers, the header changes nothing we need.
  'admin/has': false,
  'admin/status': false,
  'admin/debug': false,
  'admin/sync': false,
  // `bypass_service_down=true` (a query flag, not this header) reaches a peer believed down.
  'admin/leave': false,
  // NEVER: with it the write runs LOCALLY on whichever peer the proxy reaches first (no redirect
  // to the master, no replication, no version bump): replication_dispatcher.c _handler_PROPSET.
  'admin/set_properties': false,
  // Conscience read.
  'conscience/list': false,
};

export class ProxyClient implements ProxyApi {
  private readonly http: OioHttp;
  private readonly prefix: string;
  /**
   * The oio-sds line the owner established (configured, or detected by src/probe/oio-line.ts);
   * undefined until then. Only '4.2' changes requests: there `service_id` is sent on `leave`
   * alone (a 4.2.x/4.3.x proxy ignores it elsewhere, and `sync` resyncs every slave whatever it
   * names), per-peer answers are cut to the peers asked, and reference/show is read without `cid`.
   * Any other value keeps the strict client, which refuses a 4.2.x sign as OioUnsupportedProxyError.
   */
  line: OioLine | undefined;

  constructor(opts: ProxyClientOptions) {
    if (opts.namespace === '' || opts.namespace.includes('/')) throw new RangeError(`bad namespace: ${JSON.stringify(opts.namespace)}`);
    this.http = opts.http;
    this.namespace = opts.namespace;
    this.prefix = `/v3.0/${encodeURIComponent(opts.namespace)}`;
    this.showPath = `${this.prefix}/reference/show`;
    this.getPropertiesPath = `${this.prefix}/admin/get_properties`;
  }

  /** The paths of the two requests of every healthy probe, made once. */
  private readonly showPath: string;
  private readonly getPropertiesPath: string;

  private readonly namespace: string;

  /**
   * A client on the same connections that ignores `line` (refuses every 4.2.x sign), for the
   * proxy check (src/probe/proxy-guard.ts), which must see the signs whatever was detected
   * before. Never close it: the connections are this client's.
   */
  strict(): ProxyClient {
    return new ProxyClient({ http: this.http, namespace: this.namespace });
  }

  /**
   * Without `type`: meta1 is asked directly, which bypasses the proxy's possibly stale resolver cache.
   * Guard: an answer without `cid`, or a refusal of `cid=`, is a 4.2.x proxy (OioUnsupportedProxyError).
   */
  async locate(ref: ContainerRef, opts: CallOptions = {}): Promise<PeerId[]> {
    const route = 'reference/show' as const;
    const query = refParams(ref);
    let answer;
    try {
      answer = await this.http.request({
        method: 'GET', path: this.showPath, query, route, idempotent: true, adminHeader: ADMIN_HEADER[route], reqId: opts.reqId, signal: opts.signal,
      });
    } catch (err) {
      // Our CID is always 64 uppercase hex: a 400 for it means the proxy does not read `cid=`.
      if (query['cid'] !== undefined && err instanceof OioHttpError && err.httpStatus === 400) {
        throw unsupportedProxy(route, `reference/show refused cid=${query['cid']} (${err.message})`, err);
      }
      throw err;
    }
    const { peers, cid } = parseReference(route, answer.json);
    // 4.2.x answers no cid; it is read only when the container was named (acct+ref), never by cid.
    if (cid === undefined && !(this.line === '4.2' && query['cid'] === undefined)) throw unsupportedProxy(route, 'reference/show answered without "cid"');
    return peers;
  }

  async getProperties(ref: ContainerRef, peer: PeerId, opts: CallOptions = {}): Promise<AdminTable> {
    const route = 'admin/get_properties' as const;
    try {
      // The hot request of every sweep: built in one go (refParams' keys, then service_id and local).
      const named = ref.account !== undefined && ref.container !== undefined;
      const answer = await this.http.request({
        method: 'POST',
        path: this.getPropertiesPath,
        query: {
          type: 'meta2',
          acct: named ? ref.account : undefined,
          ref: named ? ref.container : undefined,
          cid: named ? undefined : ref.cid.toUpperCase(),
          service_id: peer,
          local: 1,
        },
        route,
        peer,
        idempotent: true,
        adminHeader: ADMIN_HEADER[route],
        reqId: opts.reqId,
        signal: opts.signal,
      });
      // Empty maps are passed up as they are: the probe tells "peer failed" from "keys missing".
      return parseAdminTable(route, answer.json, peer);
    } catch (err) {
      // With service_id, 503 means the proxy could not reach that peer (connection refused…).
      if (err instanceof OioUnavailableError) {
        throw new OioUnreachableError(err.message, {
          route, peer, httpStatus: err.httpStatus, oioStatus: err.oioStatus, reqId: err.reqId, cause: err,
        });
      }
      throw err;
    }
  }

  has(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    return this.peerAction('has', ref, peers, stringBody, true, {}, opts);
  }

  status(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    // `status` may start an election, but asking again is harmless: it only waits for its outcome.
    return this.peerAction('status', ref, peers, stringBody, true, {}, opts);
  }

  debug(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<ElectionDebug | null>[]> {
    return this.peerAction('debug', ref, peers, debugBody, true, {}, opts);
  }

  sync(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    return this.peerAction('sync', ref, peers, stringBody, false, {}, opts);
  }

  /** `bypass_service_down=true` as the Python client does: a peer believed down must still leave. */
  leave(ref: ContainerRef, peers: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]> {
    // Without service_id every peer would leave: never by accident.
    if (peers.length === 0) return Promise.reject(new RangeError('leave needs at least one peer'));
    return this.peerAction('leave', ref, peers, stringBody, false, { bypass_service_down: 'true' }, opts);
  }

  /**
   * The write's answer must be one the proxy gives for a write through the master: 204 (master)
   * or `200 {}` (7.x and older, fact 36). Any other shape is an error, never taken as a write:
   * the executor proves the write by re-reading the master either way.
   */
  async setProperties(ref: ContainerRef, system: Readonly<Record<string, string>>, opts: CallOptions = {}): Promise<void> {
    const route = 'admin/set_properties' as const;
    const answer = await this.http.request({
      method: 'POST',
      path: `${this.prefix}/${route}`,
      query: { type: 'meta2', ...refParams(ref) },
      body: { system },
      route,
      idempotent: false,
      adminHeader: ADMIN_HEADER[route],
      expect: 'text',
      ...callOpts(opts),
    });
    const text = answer.text.trim();
    if (answer.statusCode === 204 || (answer.statusCode === 200 && (text === '' || text === '{}'))) return;
    throw new OioBadAnswerError(`${route}: unexpected answer ${answer.statusCode} ${JSON.stringify(text.slice(0, 200))} (expected 204, or 200 {} before master)`, {
      route, httpStatus: answer.statusCode, reqId: answer.reqId,
    });
  }

  async listServices(type: string, opts: CallOptions = {}): Promise<ServiceInfo[]> {
    const route = 'conscience/list' as const;
    const answer = await this.http.request({
      method: 'GET', path: `${this.prefix}/${route}`, query: { type }, route, idempotent: true, adminHeader: ADMIN_HEADER[route], ...callOpts(opts),
    });
    return parseServices(route, answer.json);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async peerAction<B>(
    action: PeerAction,
    ref: ContainerRef,
    peers: readonly PeerId[] | undefined,
    parseBody: BodyParser<B>,
    idempotent: boolean,
    extra: Readonly<Record<string, QueryValue>>,
    opts: CallOptions = {},
  ): Promise<PeerAnswer<B>[]> {
    const route = `admin/${action}` as const;
    // A 4.2.x proxy reads service_id on leave only: elsewhere it is not sent (its answers are for every peer).
    const oldProxy = this.line === '4.2' && action !== 'leave';
    const serviceId = peers === undefined || peers.length === 0 || oldProxy ? undefined : peers.join(',');
    const answer = await this.http.request({
      method: 'POST',
      path: `${this.prefix}/${route}`,
      query: { type: 'meta2', ...refParams(ref), service_id: serviceId, ...extra },
      route,
      ...(peers?.length === 1 ? { peer: peers[0] } : {}),
      idempotent,
      adminHeader: ADMIN_HEADER[route],
      ...callOpts(opts),
    });
    const answers = parsePeerAnswers(route, answer.json, parseBody);
    if (oldProxy) {
      // A sync reached every slave: all answers are kept, so the caller sees what was done.
      return peers === undefined || peers.length === 0 || action === 'sync' ? answers : answers.filter((a) => peers.includes(a.peer));
    }
    const foreign = peers === undefined || peers.length === 0 ? [] : answers.filter((a) => !peers.includes(a.peer)).map((a) => a.peer);
    if (foreign.length > 0) {
      throw unsupportedProxy(route, `${route} with service_id=${serviceId ?? ''} answered for other peers too (${foreign.join(', ')})`);
    }
    return answers;
  }
}

/** The guard's error: names the sign seen and says why nothing more is done through this proxy. */
export function unsupportedProxy(route: string, sign: string, cause?: unknown): OioUnsupportedProxyError {
  return new OioUnsupportedProxyError(
    `unsupported proxy: ${sign}; it does not honour service_id (an oio-sds 4.2.x/4.3.x proxy?), so no replica can be read or repaired one by one through it`,
    { route, ...(cause === undefined ? {} : { cause }) },
  );
}

export function createProxyClient(opts: HttpClientOptions & { readonly namespace: string }): ProxyClient {
  return new ProxyClient({ http: new OioHttp(opts), namespace: opts.namespace });
}

/** `acct`+`ref` when the container was named, else the CID, always uppercase. */
export function refParams(ref: ContainerRef): Record<string, string> {
  if (ref.account !== undefined && ref.container !== undefined) return { acct: ref.account, ref: ref.container };
  return { cid: ref.cid.toUpperCase() };
}

function callOpts(opts: CallOptions): { reqId?: string; signal?: AbortSignal } {
  return {
    ...(opts.reqId === undefined ? {} : { reqId: opts.reqId }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  };
}
