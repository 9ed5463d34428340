import { describe, expect, it } from 'vitest';
import { ALL_REASON_CODES, DECISION_KINDS, isReasonCode, REASON_CODES, reasonKind } from '../../src/decisions/codes.js';
import { createMetrics } from '../../src/metrics/metrics.js';

describe('reason code catalogue', () => {
  it('names every code in UPPER_SNAKE_CASE with a meaning', () => {
    for (const code of ALL_REASON_CODES) {
      expect(code).toMatch(/^[A-Z][A-Z_]*[A-Z]$/);
      expect(REASON_CODES[code].meaning.length, code).toBeGreaterThan(10);
    }
  });

  it('has at least one code of every kind of decision', () => {
    for (const kind of DECISION_KINDS) expect(ALL_REASON_CODES.some((c) => reasonKind(c) === kind), kind).toBe(true);
  });

  it('holds the codes the issue names', () => {
    for (const code of ['REFUSED_NO_QUORUM', 'WAIT_ELECTION', 'SKIPPED_COOLDOWN', 'SKIPPED_BUDGET', 'SKIPPED_SUSPENDED', 'BREAKER_OPEN', 'PEER_UNREACHABLE']) {
      expect(isReasonCode(code), code).toBe(true);
    }
    expect(isReasonCode('toString')).toBe(false);
    expect(isReasonCode('OIO_TIMEOUT')).toBe(false);
  });

  it('pre-creates oio_repaird_decisions_total at 0 for every code', async () => {
    const metric = await createMetrics({ defaultMetrics: false }).registry.getSingleMetric('oio_repaird_decisions_total')!.get();
    expect(metric.values.map((v) => v.labels.code).sort()).toEqual([...ALL_REASON_CODES].sort());
    for (const v of metric.values) expect(v.value).toBe(0);
  });
});
