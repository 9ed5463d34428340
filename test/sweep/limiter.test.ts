import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { KeyedSemaphore, RateLimiter } from '../../src/sweep/limiter.js';
import { ManualClock, settle } from './manual-clock.js';

describe('RateLimiter', () => {
  async function measure(rate: number, consumers: number, seconds: number): Promise<{ times: number[]; limiter: RateLimiter }> {
    const clock = new ManualClock(1_000_000);
    const limiter = new RateLimiter(rate, { clock });
    const times: number[] = [];
    const stop = new AbortController();
    setMaxListeners(consumers + 1, stop.signal);
    const loops = Array.from({ length: consumers }, async () => {
      for (;;) {
        try {
          await limiter.take(stop.signal);
        } catch {
          return;
        }
        times.push(clock.now() - 1_000_000);
      }
    });
    for (let ms = 0; ms < seconds * 1000; ms += 10) await clock.advance(10);
    stop.abort();
    await Promise.all(loops);
    return { times: times.filter((t) => t < seconds * 1000), limiter };
  }

  it.each([
    [50, 1],
    [50, 8],
    [200, 16],
    [3, 2],
  ])('holds %d takes/s within 5 %% over 20 s with %d concurrent callers', async (rate, consumers) => {
    const { times } = await measure(rate, consumers, 20);
    expect(times.length).toBeGreaterThanOrEqual(rate * 20 * 0.95);
    expect(times.length).toBeLessThanOrEqual(rate * 20 * 1.05);
  });

  it('never lets more than rate + burst through in any one-second window', async () => {
    const { times, limiter } = await measure(100, 10, 5);
    for (const start of times) {
      const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(100 + limiter.burst);
    }
  });

  it('keeps its burst at most one second worth', () => {
    expect(new RateLimiter(10, { burst: 1000 }).burst).toBe(10);
    expect(new RateLimiter(0.5).burst).toBe(1);
    expect(new RateLimiter(1000).burst).toBe(50);
  });

  it('rejects an aborted wait and gives its token back', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, { clock });
    await limiter.take();
    const ac = new AbortController();
    const waiting = limiter.take(ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow();
    let done = false;
    void limiter.take().then(() => (done = true));
    await clock.advance(999);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
  });
});

describe('KeyedSemaphore', () => {
  it('never lets more than the cap hold a key, and serves every caller', async () => {
    const sem = new KeyedSemaphore(2);
    const holding = new Map<string, number>();
    let maxSeen = 0;
    const services = ['s1', 's2', 's3', 's4'];
    const tasks = Array.from({ length: 200 }, async (_, i) => {
      const keys = [services[i % 4]!, services[(i + 1) % 4]!, services[(i * 7) % 4]!];
      const release = await sem.acquire(keys);
      const distinct = [...new Set(keys)];
      for (const k of distinct) {
        holding.set(k, (holding.get(k) ?? 0) + 1);
        maxSeen = Math.max(maxSeen, holding.get(k)!);
      }
      await settle();
      for (const k of distinct) holding.set(k, holding.get(k)! - 1);
      release();
    });
    await Promise.all(tasks);
    expect(maxSeen).toBe(2);
    expect(sem.size).toBe(0);
  });

  it('does not deadlock when containers list shared services in opposite orders', async () => {
    const sem = new KeyedSemaphore(1);
    const runs = Array.from({ length: 50 }, async (_, i) => {
      const release = await sem.acquire(i % 2 ? ['a', 'b', 'c'] : ['c', 'b', 'a']);
      await settle();
      release();
    });
    await expect(Promise.all(runs)).resolves.toHaveLength(50);
  });

  it('lets a container on other services through while one service is saturated', async () => {
    const sem = new KeyedSemaphore(1);
    const busy = await sem.acquire(['slow']);
    const queued = sem.acquire(['slow', 'x']);
    const other = await sem.acquire(['y', 'z']);
    expect(sem.holders('y')).toBe(1);
    other();
    busy();
    const release = await queued;
    expect(sem.holders('slow')).toBe(1);
    release();
  });

  it('on abort, leaves the queue and releases the keys it already held', async () => {
    const sem = new KeyedSemaphore(1);
    const hold = await sem.acquire(['b']);
    const ac = new AbortController();
    const waiting = sem.acquire(['a', 'b'], ac.signal); // holds a, waits for b
    await settle();
    expect(sem.holders('a')).toBe(1);
    ac.abort();
    await expect(waiting).rejects.toThrow();
    expect(sem.holders('a')).toBe(0);
    hold();
    expect(sem.size).toBe(0);
  });

  it('takes unsorted keys with duplicates once each, waiting only for the busy one', async () => {
    const sem = new KeyedSemaphore(1);
    const holdB = await sem.acquire(['b']);
    let done = false;
    const pending = sem.acquire(['c', 'b', 'a', 'c']).then((release) => {
      done = true;
      return release;
    });
    await Promise.resolve();
    // 'a' (before 'b' in sorted order) is taken at once; 'c' waits behind 'b'.
    expect([sem.holders('a'), sem.holders('b'), sem.holders('c'), done]).toEqual([1, 1, 0, false]);
    holdB();
    const release = await pending;
    expect([sem.holders('a'), sem.holders('b'), sem.holders('c')]).toEqual([1, 1, 1]);
    release();
    expect(sem.size).toBe(0);
  });

  it('release is idempotent', async () => {
    const sem = new KeyedSemaphore(1);
    const release = await sem.acquire(['a']);
    const second = sem.acquire(['a']);
    release();
    release();
    const r2 = await second;
    expect(sem.holders('a')).toBe(1);
    r2();
    expect(sem.holders('a')).toBe(0);
  });
});

describe('KeyedSemaphore.tryAcquire (the sweep\'s way in when slots are free)', () => {
  it('takes every key at once when all are free, duplicates once, and its release gives them back once', () => {
    const sem = new KeyedSemaphore(2);
    const release = sem.tryAcquire(['b', 'a', 'b']);
    expect(release).toBeTypeOf('function');
    expect([sem.holders('a'), sem.holders('b')]).toEqual([1, 1]);
    release?.();
    release?.();
    expect([sem.holders('a'), sem.holders('b'), sem.size]).toEqual([0, 0, 0]);
  });

  it('takes nothing when one key is at its cap', async () => {
    const sem = new KeyedSemaphore(1);
    const hold = await sem.acquire(['b']);
    expect(sem.tryAcquire(['a', 'b'])).toBeUndefined();
    expect(sem.holders('a')).toBe(0);
    hold();
    expect(sem.tryAcquire(['a', 'b'])).toBeTypeOf('function');
  });

  it('never overtakes a waiter: a released slot goes to it, not to tryAcquire', async () => {
    const sem = new KeyedSemaphore(1);
    const hold = await sem.acquire(['a']);
    const waiting = sem.acquire(['a']);
    hold(); // the slot passes straight to the waiter
    expect(sem.tryAcquire(['a'])).toBeUndefined();
    (await waiting)();
    expect(sem.size).toBe(0);
  });

  it('throws the reason of an aborted signal, as acquire rejects with it, and takes nothing', () => {
    const sem = new KeyedSemaphore(1);
    const ac = new AbortController();
    const reason = new Error('sweep stopped');
    ac.abort(reason);
    expect(() => sem.tryAcquire(['a'], ac.signal)).toThrow(reason);
    expect(sem.size).toBe(0);
  });
});
