// ReplicaReadApi over the native protocol: turns the meta2's replies into the same typed values
// the proxy client produces (AdminTable, PeerAnswer), so src/probe classifies both alike. The
// only code that knows the native replies' bodies: DB_PGET's JSON object of string values,
// DB_HAS's JSON string, DB_STATUS's master address in MSG. An unknown shape is an error.
import { OioPeerStatusError, OioBadAnswerError } from '../oio/errors.js';
import type { AdminTable, CallOptions, ContainerRef, PeerAnswer, PeerId, ReplicaReadApi } from '../oio/types.js';
import type { NativeCallOptions, NativeClient, NativeReply } from './client.js';

function callOpts(opts: CallOptions | undefined): NativeCallOptions {
  return {
    ...(opts?.reqId === undefined ? {} : { reqId: nativeReqId(opts.reqId) }),
    ...(opts?.signal === undefined ? {} : { signal: opts.signal }),
  };
}

/** The daemon's request ids are UUID-based and fit; anything else is trimmed to the 63 bytes the server logs. */
function nativeReqId(reqId: string): string {
  const cleaned = reqId.replace(/[^\x21-\x7e]/g, '_');
  return cleaned.length > 63 ? cleaned.slice(0, 63) : cleaned;
}

/** The admin table of a DB_PGET body: `user.*` rows become properties (prefix removed), as through the proxy. */
export function adminTableOf(body: Buffer | undefined, route: string, peer: PeerId): AdminTable {
  if (body === undefined) throw new OioBadAnswerError('DB_PGET answered 200 without a body', { route, peer });
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new OioBadAnswerError('DB_PGET body is not JSON', { route, peer, cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new OioBadAnswerError('DB_PGET body is not a JSON object', { route, peer });
  }
  const properties: Record<string, string> = {};
  const system: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new OioBadAnswerError(`DB_PGET value of ${JSON.stringify(key)} is not a string`, { route, peer });
    if (key.startsWith('user.')) properties[key.slice(5)] = value;
    else system[key] = value;
  }
  return { properties, system };
}

function peerAnswer(peer: PeerId, reply: NativeReply, body: string): PeerAnswer<string> {
  return { peer, status: reply.status, message: reply.message, body };
}

export class NativeReader implements ReplicaReadApi {
  constructor(private readonly client: NativeClient) {}

  async has(ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<PeerAnswer<string>> {
    const reply = await this.client.has(peer, ref.cid, callOpts(opts));
    let body = reply.body?.toString('utf8') ?? '';
    try {
      const parsed: unknown = body === '' ? '' : JSON.parse(body);
      if (typeof parsed === 'string') body = parsed;
    } catch {
      // The path is informative only; the status decides.
    }
    return peerAnswer(peer, reply, body);
  }

  async getProperties(ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<AdminTable> {
    const route = 'native/DB_PGET';
    const reply = await this.client.pget(peer, ref.cid, callOpts(opts));
    if (reply.status === 200) return adminTableOf(reply.body, route, peer);
    throw new OioPeerStatusError(`${peer} answered DB_PGET ${reply.status} ${JSON.stringify(reply.message)}`, {
      route, peer, oioStatus: reply.status, ...(opts?.reqId === undefined ? {} : { reqId: opts.reqId }),
    });
  }

  async status(ref: ContainerRef, peer: PeerId, opts?: CallOptions): Promise<PeerAnswer<string>> {
    const reply = await this.client.status(peer, ref.cid, callOpts(opts));
    return peerAnswer(peer, reply, '');
  }
}
