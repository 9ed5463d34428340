// The ONLY requests oio-repaird can send on a meta2's native port, read-only by construction:
// DB_PGET (always with LOCAL, so no election is touched), DB_HAS and DB_STATUS. The meta2 port
// has no access control and the same socket accepts DB_REMOVE, so there is no function here
// (or anywhere in src/native) that takes a request name or raw bytes: the client writes only
// frames this module built and registered (frameOf refuses any other object).
import { normalizeCid } from '../oio/cid.js';
import { encodeMessage, type NativeParam } from './der.js';
import { frame } from './frame.js';

export const READ_REQUEST_NAMES = ['DB_PGET', 'DB_HAS', 'DB_STATUS'] as const;
export type ReadRequestName = (typeof READ_REQUEST_NAMES)[number];

/** What every read names: the base, the namespace, the server-side deadline and our request id. */
export interface ReadTarget {
  /** 64 hex digits, any case: sent upper-case (a lower-case BNAME addresses a missing file: 431). */
  readonly cid: string;
  readonly namespace: string;
  /** Sent as TO, in microseconds; the server bounds its lock and election waits with it. */
  readonly timeoutMs: number;
  /** Sent as the message id: the only way to find the call in the meta2 access log. */
  readonly reqId: string;
}

/** A built request; its bytes are kept out of reach (see frameOf). */
export interface ReadRequest {
  readonly name: ReadRequestName;
  readonly id: string;
}

const frames = new WeakMap<ReadRequest, Buffer>();
/** Longest id the server logs whole (LIMIT_LENGTH_REQID 64, NUL included). */
const MAX_REQ_ID = 63;
/** The server caps its own deadline at 300 s (server.request.max_run_time). */
const MAX_TIMEOUT_MS = 300_000;

function build(name: ReadRequestName, t: ReadTarget, local: boolean): ReadRequest {
  const cid = normalizeCid(t.cid);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(t.namespace)) throw new RangeError(`bad namespace: ${JSON.stringify(t.namespace)}`);
  if (!Number.isInteger(t.timeoutMs) || t.timeoutMs < 1 || t.timeoutMs > MAX_TIMEOUT_MS) {
    throw new RangeError(`timeoutMs must be an integer in [1, ${MAX_TIMEOUT_MS}]: ${t.timeoutMs}`);
  }
  if (!/^[\x21-\x7e]{1,63}$/.test(t.reqId)) {
    throw new RangeError(`reqId must be 1 to ${MAX_REQ_ID} printable ASCII characters: ${JSON.stringify(t.reqId)}`);
  }
  const params: NativeParam[] = [
    { name: 'NS', value: Buffer.from(t.namespace, 'latin1') },
    { name: 'BNAME', value: Buffer.from(`${cid}.1`, 'latin1') },
    { name: 'BTYPE', value: Buffer.from('meta2', 'latin1') },
    { name: 'TO', value: Buffer.from(String(t.timeoutMs * 1000), 'latin1') },
  ];
  // Any non-empty value is TRUE on the server ("0" too): the flag is sent as "1" or not at all.
  if (local) params.push({ name: 'LOCAL', value: Buffer.from('1', 'latin1') });
  const request: ReadRequest = Object.freeze({ name, id: t.reqId });
  frames.set(request, frame(encodeMessage({ id: t.reqId, name, params })));
  return request;
}

/** One replica's admin table, read on that replica only (LOCAL): 200 + JSON, 431 or 511. */
export function dbPget(t: ReadTarget): ReadRequest {
  return build('DB_PGET', t, true);
}

/** Whether the replica's base file exists (a stat on the server): 200 + path, or 431. */
export function dbHas(t: ReadTarget): ReadRequest {
  return build('DB_HAS', t, false);
}

/** The replica's election role: 200 MASTER, or 303 + the master's address. Can start an election. */
export function dbStatus(t: ReadTarget): ReadRequest {
  return build('DB_STATUS', t, false);
}

/** A copy of the bytes of a request built above; throws for any other object. */
export function frameOf(request: ReadRequest): Buffer {
  const bytes = frames.get(request);
  if (bytes === undefined) throw new TypeError('not a request built by src/native/requests.ts: refused');
  return Buffer.from(bytes);
}
