// The fleet phase's arithmetic (bench/fleet.ts): the ratio to N × one member, the epoch read
// from the completing member's summary line, the walks read from the members' lines, and the
// containers each member owns under the rendezvous split.
import { describe, expect, it } from 'vitest';
import { capReached, epochSummary, fleetRatios, memberIds, sharesOf, walksOf } from '../../bench/fleet.js';
import { BUCKETS } from '../../src/fleet/buckets.js';

const summaryLine = (epoch: number, startedAt: string, endedAt: string, probed = 20_000): string =>
  JSON.stringify({ level: 30, time: Date.parse(endedAt), component: 'fleet', epoch, startedAt, endedAt, members: 3, probed, damaged: 0, repairs: 0, unknown: 0, msg: 'fleet: sweep summary (epoch complete)' });

describe('fleetRatios', () => {
  it.each([
    // runs (members, containers/s)            ratios                        met
    [[[1, 400], [2, 780], [3, 1140]], [1, 0.975, 0.95], [true, true, true]],
    [[[1, 400], [2, 609], [3, 863]], [1, 0.76125, 0.719166], [true, false, false]],
    [[[1, 200], [3, 560]], [1, 0.933333], [true, false]],
  ] as const)('rates %j give ratios %j to N × one member', (runs, ratios, met) => {
    const got = fleetRatios(runs.map(([members, containersPerSecond]) => ({ members, containersPerSecond })));
    expect(got.map((r) => r.ratio)).toEqual(ratios.map((x) => expect.closeTo(x, 5)));
    expect(got.map((r) => r.met)).toEqual(met);
  });

  it('gives no ratio without a one-member run', () => {
    expect(fleetRatios([{ members: 2, containersPerSecond: 800 }])).toEqual([]);
  });
});

describe('epochSummary', () => {
  it('reads the epoch, its length from startedAt to endedAt, and the containers probed', () => {
    expect(epochSummary(summaryLine(2, '2026-12-02T18:00:00.000Z', '2026-12-02T18:00:51.250Z', 20_075))).toEqual({ epoch: 2, seconds: 51.25, probed: 20_075, startedAtMs: Date.parse('2026-12-02T18:00:00.000Z') });
  });

  it.each([
    ['another message', JSON.stringify({ msg: 'fleet: walk started', epoch: 2 })],
    ['not JSON', 'fleet: sweep summary (epoch complete)'],
    ['no dates', JSON.stringify({ msg: 'fleet: sweep summary (epoch complete)', epoch: 2 })],
  ])('ignores a line with %s', (_, line) => {
    expect(epochSummary(line)).toBeNull();
  });
});

describe('walksOf', () => {
  const t0 = Date.parse('2026-12-02T18:00:00.000Z');
  // As the daemon logs them: ISO times (src/log.ts).
  const line = (msg: string, epoch: number, at: number, fields: Record<string, number> = {}): string => JSON.stringify({ level: 30, time: new Date(t0 + at).toISOString(), epoch, ...fields, msg });

  it('pairs each member\'s walk start with its end, in the epoch asked for, times from the epoch start', () => {
    const lines = [
      [line('fleet: walk started', 1, -9000, { owned: 4096 }), line('fleet: walk done, buckets recorded', 1, -500, { marked: 4096, probed: 9 }), line('fleet: walk started', 2, 100, { owned: 2048 }), line('fleet: walk done, buckets recorded', 2, 25_100, { marked: 2048, probed: 10_000 })],
      [line('fleet: walk started', 2, 300, { owned: 2048 })],
    ];
    expect(walksOf(lines, 2, t0)).toEqual([
      { member: 1, startS: 0.1, endS: 25.1, owned: 2048, probed: 10_000, marked: 2048 },
      { member: 2, startS: 0.3, endS: null, owned: 2048, probed: null, marked: null },
    ]);
  });
});

describe('capReached', () => {
  const walk = (startS: number, endS: number | null, probed: number | null) => ({ member: 1, startS, endS, owned: 1, probed, marked: 1 });

  it.each([
    ['every member at its cap', [walk(0, 10, 4000), walk(0.2, 10.2, 4000)], 1],
    ['the slowest member sets the figure', [walk(0, 10, 4000), walk(0, 20, 4000)], 0.5],
    ['a walk without an end is left out', [walk(0, 10, 3600), walk(0, null, null)], 0.9],
    ['a walk that probed nothing is left out', [walk(0, 10, 3600), walk(10, 11, 0)], 0.9],
    ['no finished walk', [walk(0, null, null)], 0],
  ] as const)('%s', (_, walks, expected) => {
    expect(capReached(walks, 400)).toBeCloseTo(expected, 6);
  });
});

describe('sharesOf', () => {
  it('gives the only member every container', () => {
    expect(sharesOf(new Array<number>(BUCKETS).fill(2), memberIds(1))).toEqual([2 * BUCKETS]);
  });

  it('splits every container among the members, each about its fair share', () => {
    const shares = sharesOf(new Array<number>(BUCKETS).fill(1), memberIds(3));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(BUCKETS);
    for (const s of shares) expect(Math.abs(s - BUCKETS / 3)).toBeLessThan(BUCKETS * 0.05);
  });
});
