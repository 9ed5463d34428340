// What each route's answer may weigh, and whether the answers in flight fit the heap node has.
import { describe, expect, it } from 'vitest';
import { answerCap, answerHeapBudgetBytes, heapFitProblem, MAX_ANSWER_CAP } from '../../src/oio/answer-limits.js';
import { PROXY_ROUTES } from '../../src/metrics/metrics.js';

const MiB = 1024 * 1024;
const proxy = (connections: number) => ({ proxy: { connections } }) as Parameters<typeof heapFitProblem>[0];
/** heap_size_limit of node --max-semi-space-size=8 --max-old-space-size=96 (the unit's flags). */
const UNIT_HEAP = 120 * MiB;

describe('answer caps', () => {
  it('gives every route the daemon calls a cap far below the old 8 MiB for all, listings the largest', () => {
    for (const route of PROXY_ROUTES) expect(answerCap(route), route).toBeLessThanOrEqual(4 * MiB);
    expect(answerCap('admin/get_properties')).toBe(256 * 1024);
    expect(answerCap('admin/sync')).toBe(64 * 1024);
    expect(answerCap('account/containers')).toBe(MAX_ANSWER_CAP);
  });
});

describe('heapFitProblem', () => {
  it.each([
    [16, UNIT_HEAP, true],
    [32, UNIT_HEAP, true],
    [64, UNIT_HEAP, false],
    [1024, UNIT_HEAP, false],
    [1024, 4096 * MiB, true],
  ])('proxy.connections %i with a heap limit of %i bytes fits: %s', (connections, heap, fits) => {
    const problem = heapFitProblem(proxy(connections), heap);
    expect(problem === null).toBe(fits);
    if (!fits) expect(problem).toMatch(/lower proxy\.connections or raise node's --max-old-space-size/);
  });

  it('counts every proxy connection reading its largest sweep answer, plus one conscience list and one listing page, 4 bytes of heap per byte', () => {
    expect(answerHeapBudgetBytes(proxy(16))).toBe((16 * 256 * 1024 + 2 * MiB + 4 * MiB) * 4);
  });
});
