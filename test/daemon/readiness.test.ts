// /readyz's tolerance for a silent proxy follows the configured request deadline.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { PROXY_HEARTBEAT_MS, proxyStaleLimitMs } from '../../src/daemon/readiness.js';
import { requestDeadlineMs } from '../../src/config/runtime.js';

const config = (requestTimeoutMs?: number) =>
  configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'OPENIO', ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }) } });

describe('proxyStaleLimitMs', () => {
  it.each([
    // 2 × 15 s heartbeat + 3 attempts × (connect 2 s + 2 × requestTimeoutMs) + 2 backoffs of 2 s
    [undefined, 30_000 + 3 * 22_000 + 4_000],
    [1_000, 30_000 + 3 * 4_000 + 4_000],
    [60_000, 30_000 + 3 * 122_000 + 4_000],
  ])('requestTimeoutMs %s gives %i ms', (requestTimeoutMs, expected) => {
    expect(proxyStaleLimitMs(config(requestTimeoutMs))).toBe(expected);
  });

  it('always outlasts one failing heartbeat (3 attempts to their deadline) plus a heartbeat period', () => {
    for (const timeout of [1, 500, 10_000, 120_000, 3_600_000]) {
      const c = config(timeout);
      expect(proxyStaleLimitMs(c)).toBeGreaterThan(3 * requestDeadlineMs(c) + PROXY_HEARTBEAT_MS);
    }
  });
});
