// Sharding that every member computes the same way: a container's bucket is the first three
// hex digits of its CID (4,096 buckets), and each bucket belongs to the live member with the
// highest rendezvous weight for it (highest random weight hashing). Pure: when a member joins
// or leaves, only the buckets it wins or held change owner.
import { createHash } from 'node:crypto';

export const BUCKETS = 4096;

/** The bucket of a CID (64 hex digits): its first three hex digits; anything else is hashed. */
export function bucketOf(cid: string): number {
  const prefix = Number.parseInt(cid.slice(0, 3), 16);
  if (cid.length >= 3 && /^[0-9A-Fa-f]{3}/.test(cid) && Number.isInteger(prefix)) return prefix;
  return createHash('sha256').update(cid).digest().readUInt16BE(0) % BUCKETS;
}

/** 32-bit FNV-1a of a string (the member's seed). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finaliser: every input bit flips about half the output bits. */
function fmix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The rendezvous weight of `member` for `bucket`: 52 bits, the same on every host and version of Node. */
export function weight(member: string, bucket: number): number {
  const high = fmix(fnv1a(member) ^ fmix(bucket + 0x9e3779b9));
  const low = fmix(fnv1a(`${member}#`) ^ fmix(bucket ^ 0x85ebca6b)) & 0xfffff;
  return high * 0x100000 + low;
}

/** The owner of every bucket (index = bucket), or null for all when there is no member. */
export function assignBuckets(members: readonly string[]): (string | null)[] {
  const sorted = [...new Set(members)].sort();
  const owners: (string | null)[] = new Array<string | null>(BUCKETS).fill(null);
  if (sorted.length === 0) return owners;
  // One weight table per member, computed once per membership change (4,096 hashes each).
  const tables = sorted.map((m) => Array.from({ length: BUCKETS }, (_, b) => weight(m, b)));
  for (let b = 0; b < BUCKETS; b++) {
    let best = 0;
    for (let i = 1; i < sorted.length; i++) {
      // Ties (2^-48) go to the smaller name: the order is total, so every member agrees.
      if ((tables[i] as number[])[b] as number > ((tables[best] as number[])[b] as number)) best = i;
    }
    owners[b] = sorted[best] as string;
  }
  return owners;
}

/** The buckets `member` owns among `members` (empty when it is not one of them). */
export function ownedBuckets(member: string, members: readonly string[]): Set<number> {
  const owned = new Set<number>();
  if (!members.includes(member)) return owned;
  assignBuckets(members).forEach((owner, b) => {
    if (owner === member) owned.add(b);
  });
  return owned;
}
