// Sharding: every member computes the same owners, and a join or a leave moves only the buckets
// of the member that joined or left.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignBuckets, bucketOf, BUCKETS, ownedBuckets } from '../../src/fleet/buckets.js';

const memberName = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,11}$/);
const memberSet = fc.uniqueArray(memberName, { minLength: 1, maxLength: 8 });

describe('bucketOf', () => {
  it.each([
    ['000ABC', 0],
    ['FFF0', 4095],
    ['fff0', 4095],
    ['1A2B3C4D', 0x1a2],
    ['0010', 1],
  ])('puts CID %s in bucket %i (its first three hex digits)', (cid, bucket) => {
    expect(bucketOf(cid)).toBe(bucket);
  });

  it('hashes a CID that is not hexadecimal into a bucket too', () => {
    const b = bucketOf('not-a-cid');
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(BUCKETS);
    expect(bucketOf('not-a-cid')).toBe(b);
  });
});

describe('assignBuckets (rendezvous hashing)', () => {
  it('gives no bucket an owner when there is no member', () => {
    expect(assignBuckets([]).every((o) => o === null)).toBe(true);
  });

  it('gives every bucket to the only member', () => {
    expect(ownedBuckets('a', ['a']).size).toBe(BUCKETS);
  });

  it('gives a member that is not in the list nothing', () => {
    expect(ownedBuckets('z', ['a', 'b']).size).toBe(0);
  });

  it('does not depend on the order in which members are listed', () => {
    fc.assert(fc.property(memberSet, (members) => {
      expect(assignBuckets([...members].reverse())).toEqual(assignBuckets(members));
    }), { numRuns: 20 });
  });

  it('spreads 4096 buckets over 3 members within ±15% of a third each', () => {
    const owners = assignBuckets(['host-a', 'host-b', 'host-c']);
    for (const m of ['host-a', 'host-b', 'host-c']) {
      const n = owners.filter((o) => o === m).length;
      expect(n).toBeGreaterThan((BUCKETS / 3) * 0.85);
      expect(n).toBeLessThan((BUCKETS / 3) * 1.15);
    }
  });

  it('moves only the buckets of the member that left', () => {
    fc.assert(fc.property(memberSet.filter((m) => m.length >= 2), fc.nat(), (members, pick) => {
      const leaving = members[pick % members.length] as string;
      const before = assignBuckets(members);
      const after = assignBuckets(members.filter((m) => m !== leaving));
      const moved = before.flatMap((owner, b) => (owner !== after[b] ? [b] : []));
      expect(moved.filter((b) => before[b] !== leaving)).toEqual([]);
      expect(after.filter((o) => o === leaving)).toEqual([]);
    }), { numRuns: 15 });
  });

  it('moves only the buckets the joining member wins', () => {
    fc.assert(fc.property(memberSet, memberName, (members, joining) => {
      fc.pre(!members.includes(joining));
      const before = assignBuckets(members);
      const after = assignBuckets([...members, joining]);
      const moved = after.flatMap((owner, b) => (owner !== before[b] ? [b] : []));
      expect(moved.filter((b) => after[b] !== joining)).toEqual([]);
    }), { numRuns: 15 });
  });
});
