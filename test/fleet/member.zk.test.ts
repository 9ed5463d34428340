// Fleet membership against a real ZooKeeper (Debian's package, a plain process on loopback):
// members see each other and split the buckets, the lock and the budget hold under contention,
// a member fences itself while ZooKeeper is away and takes its buckets back after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS } from '../../src/fleet/buckets.js';
import { FleetBudgetSpent } from '../../src/fleet/budget.js';
import { FleetMember } from '../../src/fleet/member.js';
import { createLogger } from '../../src/log.js';
import { ZooKeeper, zooKeeperOrSkip } from '../helpers/zookeeper.js';

const tools = zooKeeperOrSkip('fleet membership tests against a real ZooKeeper');
const log = createLogger({ level: 'silent' });

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!tools.ok)('fleet member (real ZooKeeper)', () => {
  let zk: ZooKeeper;
  const members: FleetMember[] = [];
  const member = (id: string, root = '/t/fleet'): FleetMember => {
    const m = new FleetMember({ zookeeper: zk.connect, root, memberId: id, sessionTimeoutMs: 2000, opTimeoutMs: 2000, log });
    members.push(m);
    m.start();
    return m;
  };

  beforeAll(async () => {
    if (!tools.ok) return;
    zk = await ZooKeeper.start(tools);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(members.map((m) => m.stop()));
    await zk?.stop();
  });

  it('members see each other and split the 4096 buckets; a leaving member\'s buckets go to the others', async () => {
    const a = member('a', '/t/split');
    const b = member('b', '/t/split');
    await until('both joined', () => a.mayMutate() && b.mayMutate() && a.members.length === 2 && b.members.length === 2);
    expect(a.ownedBuckets().size + b.ownedBuckets().size).toBe(BUCKETS);
    expect([...a.ownedBuckets()].some((x) => b.ownedBuckets().has(x))).toBe(false);
    await until('one leader', () => [a.isLeader, b.isLeader].filter(Boolean).length === 1);
    await b.stop();
    await until('a alone', () => a.members.length === 1);
    expect(a.ownedBuckets().size).toBe(BUCKETS);
    // The election is watched apart from the member list: a learns it leads on its own watch.
    await until('a leads', () => a.isLeader);
  }, 30_000);

  it('a container\'s lock is held by one member at a time; the other is told it is contended', async () => {
    const a = member('la', '/t/lock');
    const b = member('lb', '/t/lock');
    expect(await a.joinedWithin(10_000)).toBe(true);
    expect(await b.joinedWithin(10_000)).toBe(true);
    const held = await a.lock('ABC123');
    expect(held).not.toBeNull();
    expect(a.fenceReason('ABC123')).toBeNull();
    expect(b.fenceReason('ABC123')).toMatch(/no fleet lock/);
    expect(await b.lock('ABC123')).toBeNull();
    expect(b.lockContention).toBe(1);
    await held?.release();
    const again = await b.lock('ABC123');
    expect(again).not.toBeNull();
    await again?.release();
  }, 30_000);

  it('members reserving at once never spend more than the fleet budget', async () => {
    const a = member('ba', '/t/budget');
    const b = member('bb', '/t/budget');
    const c = member('bc', '/t/budget');
    for (const m of [a, b, c]) expect(await m.joinedWithin(10_000)).toBe(true);
    const limits = { maxPerHour: 100, maxPerSweep: 7 };
    const results = await Promise.allSettled([a, b, c].flatMap((m) => Array.from({ length: 5 }, () => m.reserveRepair(limits))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.every((r) => r.reason instanceof FleetBudgetSpent)).toBe(true);
  }, 30_000);

  it('the leader starts epochs; buckets marked done by members add up to a complete epoch with a summary', async () => {
    const a = member('ea', '/t/epoch');
    const b = member('eb', '/t/epoch');
    for (const m of [a, b]) expect(await m.joinedWithin(10_000)).toBe(true);
    await until('both see both', () => a.members.length === 2 && b.members.length === 2);
    const leader = a.isLeader ? a : b;
    expect(await leader.startEpoch()).toBe(1);
    await until('epoch 1 seen', () => a.epoch?.epoch === 1 && b.epoch?.epoch === 1);
    expect(await leader.startEpoch()).toBeNull(); // epoch 1 still running
    await a.markDone(1, a.ownedBuckets(), { probed: 10, damaged: 1, repairs: 1, unknown: 0 });
    // The marker sees its own buckets done as soon as markDone returns (its walker must not walk them again).
    expect([...a.ownedBuckets()].every((bucket) => a.isDone(bucket))).toBe(true);
    await b.markDone(1, b.ownedBuckets(), { probed: 5, damaged: 0, repairs: 0, unknown: 1 });
    await until('epoch complete', () => a.doneBuckets() === BUCKETS && b.epoch?.summary !== undefined);
    expect(b.epoch?.summary).toMatchObject({ epoch: 1, probed: 15, damaged: 1, repairs: 1, unknown: 1, members: 2 });
    expect(await leader.startEpoch()).toBe(2);
  }, 30_000);

  it('fences itself while ZooKeeper is down (no mutation, no bucket) and takes its buckets back after', async () => {
    const a = member('fa', '/t/fence');
    expect(await a.joinedWithin(10_000)).toBe(true);
    const lock = await a.lock('FEED00');
    expect(a.fenceReason('FEED00')).toBeNull();
    const server = zk.servers[0];
    await server?.stop();
    await until('fenced', () => !a.mayMutate(), 5000);
    expect(a.fenceReason('FEED00')).toMatch(/fenced/);
    expect(a.ownedBuckets().size).toBe(0);
    expect(a.owns('FEED00')).toBe(false);
    await expect(a.reserveRepair({ maxPerHour: 10, maxPerSweep: 10 })).rejects.toThrow(/fenced/);
    await server?.start();
    await server?.waitReady();
    await until('back', () => a.mayMutate(), 20_000);
    expect(a.ownedBuckets().size).toBe(BUCKETS);
    await lock?.release();
  }, 60_000);
});
