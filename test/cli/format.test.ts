import { describe, expect, it } from 'vitest';
import { formatPlan, formatReport, table } from '../../src/cli/format.js';
import type { ContainerReport } from '../../src/probe/types.js';

const report: ContainerReport = {
  ref: { account: 'myaccount', container: 'FVE0', cid: '697ECB056A5F9339B36C3B0A020B5AB17B4B0160FBEBEA203315EA1FC1B61605' },
  peers: ['127.0.0.1:6015', '127.0.0.1:6016', '127.0.0.1:6017'],
  replicas: [
    { peer: '127.0.0.1:6015', health: 'missing-keys', role: 'slave', missingKeys: ['sys.m2.ctime'], malformedKeys: [] },
    { peer: '127.0.0.1:6016', health: 'ok', role: 'master', missingKeys: [], malformedKeys: [] },
    { peer: '127.0.0.1:6017', health: 'missing-base', role: 'slave', missingKeys: [], malformedKeys: [] },
  ],
  election: { master: '127.0.0.1:6016', masters: ['127.0.0.1:6016'] },
  verdict: 'repairable',
  reason: 'slaves 127.0.0.1:6015, 127.0.0.1:6017 are damaged; master healthy',
  requests: 6,
};

describe('CLI formatting', () => {
  it('draws a bordered table with padded columns', () => {
    expect(table(['Id', 'Status'], [['a', '200'], ['bbbb', '301']])).toBe(
      ['+------+--------+', '| Id   | Status |', '+------+--------+', '| a    | 200    |', '| bbbb | 301    |', '+------+--------+'].join('\n'),
    );
  });

  it('prints one row per peer with role, base, health and missing keys, then the verdict', () => {
    const text = formatReport(report);
    expect(text).toContain('Container myaccount/FVE0 (697ECB05');
    expect(text).toMatch(/\| 127\.0\.0\.1:6015 \| slave +\| present \| missing-keys \| sys\.m2\.ctime +\|/);
    expect(text).toMatch(/\| 127\.0\.0\.1:6017 \| slave +\| missing +\| missing-base \|/);
    expect(text).toContain('Verdict: repairable (REPAIRABLE) — slaves 127.0.0.1:6015');
  });

  it('lists plan steps in order', () => {
    const text = formatPlan({ decision: 'repair', code: 'PLAN_LEAVE', reason: 'master damaged', steps: [{ kind: 'leave', peer: 'M' }, { kind: 'await-master', candidates: ['A', 'B'], notPeer: 'M' }] });
    expect(text.split('\n')).toEqual(['Plan: repair (PLAN_LEAVE) — master damaged', '  1. master M leaves the election', '  2. wait until the election settles on a master other than M (healthy at the probe: A, B)']);
  });
});
