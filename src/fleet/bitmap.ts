// A set of buckets as 4,096 bits, base64 in a ZooKeeper node (512 bytes): the epoch's
// per-bucket completion. Pure.
import { BUCKETS } from './buckets.js';

export function emptyBitmap(): Buffer {
  return Buffer.alloc(BUCKETS / 8);
}

export function bitmapFrom(text: string | undefined): Buffer {
  const b = text ? Buffer.from(text, 'base64') : emptyBitmap();
  return b.length === BUCKETS / 8 ? b : emptyBitmap();
}

export function hasBit(map: Buffer, bucket: number): boolean {
  return ((map[bucket >> 3] as number) & (1 << (bucket & 7))) !== 0;
}

/** A copy of `map` with `buckets` set. */
export function withBits(map: Buffer, buckets: Iterable<number>): Buffer {
  const out = Buffer.from(map);
  for (const b of buckets) out[b >> 3] = (out[b >> 3] as number) | (1 << (b & 7));
  return out;
}

export function countBits(map: Buffer): number {
  let n = 0;
  for (const byte of map) for (let v = byte; v; v &= v - 1) n += 1;
  return n;
}
