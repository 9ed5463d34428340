// /readyz's tolerance for a silent proxy follows the configured request deadline.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { PROXY_HEARTBEAT_MS, proxyStaleLimitMs } from '../../src/daemon/readiness.js';

const config = (requestTimeoutMs?: number) =>
  configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'OPENIO', ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }) } });

describe('proxyStaleLimitMs', () => {
  it.each([
    [undefined, 64_000],
    [1_000, 37_000],
    [60_000, 214_000],
    [600_000, 1_834_000],
  ])('requestTimeoutMs %s gives %i ms', (requestTimeoutMs, expected) => {
    expect(proxyStaleLimitMs(config(requestTimeoutMs))).toBe(expected);
  });

  it('always outlasts one failing heartbeat (3 attempts to their deadline) plus a heartbeat period', () => {
    for (const timeout of [1, 500, 10_000, 120_000, 3_600_000]) {
      expect(proxyStaleLimitMs(config(timeout))).toBeGreaterThan(3 * timeout + PROXY_HEARTBEAT_MS);
    }
  });
});
