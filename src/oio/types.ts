// Typed values exchanged with the OpenIO proxy and account service.
// Everything above src/oio/ speaks in these types, never in raw JSON; the simulator
// (src/sim/) produces the wire shapes from the same types.

/** A meta2 service address as the proxy reports it: `IP:PORT`. */
export type PeerId = string;

/** A container as the daemon addresses it. `cid` is always the uppercase 64-hex CID. */
export interface ContainerRef {
  readonly cid: string;
  /** Known when the container was named (`ACCOUNT/CONTAINER`), absent for `--cid`. */
  readonly account?: string;
  readonly container?: string;
}

/** The admin table of one replica, as `admin/get_properties` returns it (values are strings). */
export interface AdminTable {
  readonly properties: Readonly<Record<string, string>>;
  readonly system: Readonly<Record<string, string>>;
}

/**
 * One peer's entry in a per-peer admin answer
 * (`{"PEER":{"status":{"status":CODE,"message":TEXT},"body":BODY}}`).
 * `status` is an oio code (200 OK, 301 not slave, 303 redirect, 431 missing base,
 * 511 corrupt, 2..10 network errors seen by the proxy), not an HTTP status.
 */
export interface PeerAnswer<B = unknown> {
  readonly peer: PeerId;
  readonly status: number;
  readonly message: string;
  readonly body: B;
}

/** `admin/debug` body, reduced to what decisions need. `null` fields mean "no election member". */
export interface ElectionDebug {
  readonly state: string | null;
  readonly masterUrl: string | null;
  readonly pipefrom: number | null;
  readonly log: readonly string[];
}

/** One entry of `conscience/list`. */
export interface ServiceInfo {
  readonly addr: string;
  readonly score: number;
  readonly up: boolean;
  readonly tags: Readonly<Record<string, string | number | boolean>>;
  /** master (9.0.0+) only: the `scores` object (`score.put`, `score.get`); absent before. */
  readonly scores?: Readonly<Record<string, number>>;
}

/** Options common to every proxy call. */
export interface CallOptions {
  /** Sent as `x-oio-req-id` so operators can follow one operation through the services' logs. */
  readonly reqId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The proxy calls oio-repaird makes. Implemented over HTTP by ProxyClient (src/oio/proxy-client.ts).
 * Per-peer methods take an optional `peers` list (sent as `service_id`, comma-joined, order kept);
 * without it the proxy asks every peer of the base.
 */
export interface ProxyApi {
  /** meta2 peers of the container (`reference/show`), `srv` entries of type meta2, comma lists split. */
  locate(ref: ContainerRef, opts?: CallOptions): Promise<PeerId[]>;
  /** Admin table of ONE replica (`admin/get_properties?service_id=PEER&local=1`). */
  getProperties(ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<AdminTable>;
  has(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]>;
  status(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]>;
  debug(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<ElectionDebug | null>[]>;
  sync(ref: ContainerRef, peers?: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]>;
  leave(ref: ContainerRef, peers: readonly PeerId[], opts?: CallOptions): Promise<PeerAnswer<string>[]>;
  /** Writes system keys through the master (`admin/set_properties`, 204); replicates to every peer. */
  setProperties(ref: ContainerRef, system: Readonly<Record<string, string>>, opts?: CallOptions): Promise<void>;
  /** `conscience/list?type=TYPE`. */
  listServices(type: string, opts?: CallOptions): Promise<ServiceInfo[]>;
}

/**
 * Per-replica reads that bypass the proxy (NativeReader over the meta2 native protocol,
 * src/native/reader.ts): one peer per call, every answer that peer's own. A peer not reached
 * throws OioUnreachableError or OioTimeoutError.
 */
export interface ReplicaReadApi {
  /** Whether the base file exists: 200 (body: its path), 431 (no file). Opens nothing. */
  has(ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<PeerAnswer<string>>;
  /** The replica's own admin table (LOCAL); its error status (431, 511…) as OioPeerStatusError. */
  getProperties(ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<AdminTable>;
  /** The replica's role: 200 master, 303 slave (`message` = the master). May start an election. */
  status(ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<PeerAnswer<string>>;
}

/** Paging options of the account service listings. */
export interface ListOptions {
  readonly prefix?: string;
  /** Exclusive: listing starts after this name. */
  readonly marker?: string;
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** The account service calls: streamed, page by page, never the whole namespace in memory. */
export interface AccountApi {
  listAccounts(opts?: ListOptions): AsyncIterable<string>;
  /** The container names of `account`, a page (one listing answer) at a time: no promise per name. */
  listContainers(account: string, opts?: ListOptions): AsyncIterable<readonly string[]>;
}
