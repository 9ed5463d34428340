// Public surface of the native meta2 transport: a read-only client (DB_PGET LOCAL, DB_HAS,
// DB_STATUS, nothing else) and its ReplicaReadApi for the probe. Import from here.
import { NativeClient, type NativeClientOptions } from './client.js';
import { NativeReader } from './reader.js';
import type { ReplicaReadApi } from '../oio/types.js';

export { NativeClient } from './client.js';
export { parsePeerAddress } from './address.js';
export type { NativeClientOptions, NativeReply, NativeCallOptions } from './client.js';
export { NativeReader, adminTableOf } from './reader.js';

export interface OpenedNative {
  readonly replicas: ReplicaReadApi;
  close(): Promise<void>;
}

/** A client and its reader, closed together. */
export function openNative(opts: NativeClientOptions): OpenedNative {
  const client = new NativeClient(opts);
  return { replicas: new NativeReader(client), close: () => client.close() };
}
