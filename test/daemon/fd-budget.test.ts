// The file descriptors the daemon can hold, and the start-time check against its limit.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { fdFitProblem, fdsNeeded, openFileLimit } from '../../src/daemon/fd-budget.js';

const config = (connections: number, maxConnections: number) =>
  configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'NS', connections }, metrics: { maxConnections } });

describe('fd budget', () => {
  it.each([
    [16, 64, 1024, true],
    [16, 64, 256, false],
    [1024, 1024, 4096, true],
    [1024, 1024, 3000, false],
  ])('proxy.connections %i, metrics.maxConnections %i under a limit of %i fits: %s', (connections, maxConnections, limit, fits) => {
    const problem = fdFitProblem(config(connections, maxConnections), limit);
    expect(problem === null).toBe(fits);
    if (!fits) expect(problem).toContain('raise LimitNOFILE');
  });

  it('counts both connection pools, the metrics clients and a margin', () => {
    expect(fdsNeeded(config(16, 64))).toBe(2 * 16 + 64 + 256);
  });

  it('reads the soft limit from /proc/self/limits, and nothing from an unlimited or missing one', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n';
    expect(openFileLimit(limits)).toBe(4096);
    expect(openFileLimit(limits.replace('4096 ', 'unlimited '))).toBeUndefined();
    expect(openFileLimit('')).toBeUndefined();
    expect(fdFitProblem(config(1024, 1024), undefined)).toBeNull();
  });
});
