// The operator controls' pure decisions, as tables: which gate holds a repair back at a given
// time (breaker, suspension, blackout), the breaker's trip rule and counting, blackout ranges in
// a time zone, the commands' effect on the state, and the --for duration syntax.
import { describe, expect, it } from 'vitest';
import { activeBlackout, blackoutProblem, type BlackoutEntry } from '../../src/controls/blackouts.js';
import { BreakerTally, breakerTrip, type BreakerThresholds } from '../../src/controls/breaker.js';
import { applyCommand, ControlCommandError, expire, formatDuration, nextExpiry, parseDuration } from '../../src/controls/commands.js';
import { controlBlock, controlBlocks, probingAllowed } from '../../src/controls/gates.js';
import { NO_CONTROLS, type ControlState, type OpenBreaker, type Suspension } from '../../src/controls/types.js';

const T0 = Date.parse('2026-12-02T12:00:00Z');
const HOUR = 3_600_000;
const suspension: Suspension = { since: T0, until: T0 + 2 * HOUR, reason: 'meta2 migration', by: 'alice' };
const breaker: OpenBreaker = { openedAt: T0, reason: 'damaged_share', detail: '400 damaged containers of 1000 judged (40.0 %)', damaged: 400, judged: 1000, coolOffUntil: null };
const cooling: OpenBreaker = { ...breaker, coolOffUntil: T0 + HOUR };
const state = (s: Partial<ControlState>): ControlState => ({ ...NO_CONTROLS, ...s });
const freeze = { label: '2026-12-24..2026-12-26 (freeze)' };

describe('controlBlock: which control holds a repair back', () => {
  it.each([
    ['nothing in force', state({}), null, T0, null],
    ['a suspension in force', state({ suspension }), null, T0 + HOUR, 'SKIPPED_SUSPENDED'],
    ['a suspension at its very end (until is exclusive)', state({ suspension }), null, T0 + 2 * HOUR, null],
    ['an open breaker without cool-off, days later', state({ breaker }), null, T0 + 100 * HOUR, 'BREAKER_OPEN'],
    ['a breaker within its cool-off', state({ breaker: cooling }), null, T0 + HOUR - 1, 'BREAKER_OPEN'],
    ['a breaker whose cool-off ended', state({ breaker: cooling }), null, T0 + HOUR, null],
    ['a blackout', state({}), freeze, T0, 'SKIPPED_BLACKOUT'],
    ['breaker and suspension: the breaker first', state({ breaker, suspension }), freeze, T0, 'BREAKER_OPEN'],
    ['suspension and blackout: the suspension first', state({ suspension }), freeze, T0, 'SKIPPED_SUSPENDED'],
  ] as const)('%s', (_name, s, blackout, now, code) => {
    expect(controlBlock(s, blackout, now)?.code ?? null).toBe(code);
  });

  it('lists every control in force, each with its outcome, reason and end', () => {
    const blocks = controlBlocks(state({ breaker: cooling, suspension }), freeze, T0);
    expect(blocks.map((b) => [b.code, b.outcome, b.until])).toEqual([
      ['BREAKER_OPEN', 'skipped_breaker', T0 + HOUR],
      ['SKIPPED_SUSPENDED', 'skipped_suspended', T0 + 2 * HOUR],
      ['SKIPPED_BLACKOUT', 'skipped_blackout', null],
    ]);
    expect(blocks[1]?.reason).toBe('repairs suspended until 2026-12-02T14:00:00.000Z by alice: meta2 migration');
    expect(controlBlocks(state({ breaker }), null, T0)[0]?.reason).toMatch(/until `oio-repaird breaker reset`$/);
  });

  it.each([
    [true, state({ suspension }), true],
    [false, state({ suspension }), false],
    [false, state({}), true],
    [false, state({ breaker }), true],
  ] as const)('probing while suspended (suspend.probe %s)', (probe, s, allowed) => {
    expect(probingAllowed(s, T0 + 1, probe)).toBe(allowed);
  });
});

describe('breakerTrip: when the damage looks systemic', () => {
  const share: BreakerThresholds = { maxDamagedShare: 0.2, minContainers: 100, maxDamagedContainers: null };
  const count: BreakerThresholds = { maxDamagedShare: null, minContainers: 100, maxDamagedContainers: 10 };
  it.each([
    ['a share above the limit, enough judged', { judged: 100, damaged: 21 }, share, 'damaged_share'],
    ['a share exactly at the limit', { judged: 100, damaged: 20 }, share, null],
    ['a high share on too few containers', { judged: 99, damaged: 99 }, share, null],
    ['a count above the limit', { judged: 11, damaged: 11 }, count, 'damaged_count'],
    ['a count at the limit', { judged: 5000, damaged: 10 }, count, null],
    ['no thresholds at all', { judged: 1000, damaged: 1000 }, { maxDamagedShare: null, minContainers: 1, maxDamagedContainers: null }, null],
    ['nothing judged', { judged: 0, damaged: 0 }, { ...share, minContainers: 1 }, null],
  ] as const)('%s', (_name, tally, th, reason) => {
    expect(breakerTrip(tally, th)?.reason ?? null).toBe(reason);
  });

  it('says the counts and the threshold', () => {
    expect(breakerTrip({ judged: 200, damaged: 80 }, share)?.detail).toBe('80 damaged containers of 200 judged (40.0 %), more than breaker.maxDamagedShare (20.0 %)');
  });

  it('counts judged and damaged verdicts over the sweep, unknown ones not at all', () => {
    const t = new BreakerTally(null);
    for (const v of ['healthy', 'repairable', 'master-damaged', 'unrepairable', 'unknown'] as const) t.observe(v, T0);
    expect(t.tally(T0 + 1000 * HOUR)).toEqual({ judged: 4, damaged: 3 });
    t.reset();
    expect(t.tally(T0)).toEqual({ judged: 0, damaged: 0 });
  });

  it('forgets what left a sliding window', () => {
    const t = new BreakerTally(10 * 60_000);
    t.observe('repairable', T0);
    t.observe('repairable', T0 + 5 * 60_000);
    expect(t.tally(T0 + 6 * 60_000)).toEqual({ judged: 2, damaged: 2 });
    expect(t.tally(T0 + 12 * 60_000)).toEqual({ judged: 1, damaged: 1 });
    expect(t.tally(T0 + 20 * 60_000)).toEqual({ judged: 0, damaged: 0 });
  });
});

describe('activeBlackout: dates and ranges in the schedule time zone', () => {
  const entries: BlackoutEntry[] = ['2026-12-31', { from: '2026-12-24', to: '2026-12-26', reason: 'freeze' }, { from: '2027-01-05T22:00', to: '2027-01-06T02:00' }];
  it.each([
    ['2026-12-31T00:00:00Z', 'UTC', '2026-12-31'],
    ['2026-12-31T23:59:00Z', 'UTC', '2026-12-31'],
    ['2027-01-01T00:00:00Z', 'UTC', null],
    ['2026-12-23T23:59:00Z', 'UTC', null],
    ['2026-12-26T23:59:00Z', 'UTC', '2026-12-24..2026-12-26 (freeze)'],
    ['2026-12-27T00:00:00Z', 'UTC', null],
    // 23:30 UTC on the 23rd is already the 24th in Paris (UTC+1).
    ['2026-12-23T23:30:00Z', 'Europe/Paris', '2026-12-24..2026-12-26 (freeze)'],
    ['2027-01-05T22:00:00Z', 'UTC', '2027-01-05T22:00..2027-01-06T02:00'],
    ['2027-01-06T02:00:00Z', 'UTC', null],
  ] as const)('at %s in %s', (at, tz, label) => {
    expect(activeBlackout(entries, tz, Date.parse(at))?.label ?? null).toBe(label);
  });

  it.each([
    ['2026-12-24', null],
    ['24/12/2026', 'must be a date YYYY-MM-DD or {from, to, reason}'],
    [{ from: '2026-12-26', to: '2026-12-24' }, 'must not end before it starts'],
    [{ from: '2026-12-24T25:00', to: '2026-12-26' }, '"2026-12-24T25:00" is not a date YYYY-MM-DD or a local time YYYY-MM-DDTHH:MM'],
    [{ from: '2026-12-24', to: '2026-12-24' }, null],
  ] as const)('validates %j', (entry, problem) => {
    expect(blackoutProblem(entry)).toBe(problem);
  });
});

describe('applyCommand and expire', () => {
  const limits = { maxSuspendMs: 168 * HOUR };
  it('suspends, with who, why and until, and replaces a suspension in force', () => {
    const a = applyCommand(NO_CONTROLS, { op: 'suspend', forMs: 2 * HOUR, reason: 'migration', by: 'alice' }, T0, limits);
    expect(a.state.suspension).toEqual({ since: T0, until: T0 + 2 * HOUR, reason: 'migration', by: 'alice' });
    expect(a.event).toMatchObject({ action: 'suspend', by: 'alice', reason: 'migration', until: T0 + 2 * HOUR });
    const b = applyCommand(a.state, { op: 'suspend', forMs: HOUR, reason: 'shorter', by: 'bob' }, T0 + 1, limits);
    expect(b.state.suspension?.until).toBe(T0 + 1 + HOUR);
    expect(b.message).toMatch(/replacing the suspension until 2026-12-02T14:00:00.000Z/);
  });

  it.each([
    [{ op: 'suspend', forMs: 169 * HOUR, reason: 'x', by: 'a' }, /longer than suspend.maxHours \(7d\)/],
    [{ op: 'suspend', forMs: 0, reason: 'x', by: 'a' }, /positive/],
    [{ op: 'suspend', forMs: HOUR, reason: '  ', by: 'a' }, /needs a reason/],
  ] as const)('refuses %j', (cmd, why) => {
    expect(() => applyCommand(NO_CONTROLS, cmd, T0, limits)).toThrow(ControlCommandError);
    expect(() => applyCommand(NO_CONTROLS, cmd, T0, limits)).toThrow(why);
  });

  it.each([
    ['resume while suspended', state({ suspension }), { op: 'resume', reason: 'done', by: 'bob' }, 'resume', { suspension: null }],
    ['resume while not suspended', state({}), { op: 'resume', reason: 'done', by: 'bob' }, null, { suspension: null }],
    ['reset an open breaker', state({ breaker, suspension }), { op: 'breaker-reset', reason: 'bad deploy rolled back', by: 'bob' }, 'breaker-reset', { breaker: null, suspension }],
    ['reset a closed breaker', state({}), { op: 'breaker-reset', reason: 'x', by: 'bob' }, null, { breaker: null }],
    ['status', state({ breaker }), { op: 'status' }, null, { breaker }],
  ] as const)('%s', (_name, s, cmd, action, after) => {
    const a = applyCommand(s, cmd, T0 + 1, limits);
    expect(a.event?.action ?? null).toBe(action);
    expect(a.state).toMatchObject(after);
  });

  it('ends a suspension and a cool-off on time, journaling each', () => {
    const s = state({ suspension, breaker: cooling });
    expect(nextExpiry(s)).toBe(T0 + HOUR);
    expect(expire(s, T0 + HOUR - 1).events).toEqual([]);
    const one = expire(s, T0 + HOUR);
    expect(one.events.map((e) => e.action)).toEqual(['breaker-cool-off-ended']);
    const both = expire(s, T0 + 2 * HOUR);
    expect(both.events.map((e) => [e.action, e.by])).toEqual([['suspension-expired', 'expiry'], ['breaker-cool-off-ended', 'cool-off']]);
    expect(both.state).toEqual(NO_CONTROLS);
  });
});

describe('--for durations', () => {
  it.each([
    ['90s', 90_000], ['30m', 1_800_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1h30m', 5_400_000],
    ['0h', null], ['2', null], ['h', null], ['-1h', null], ['2 h', null], ['1.5h', null],
  ] as const)('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('formats back', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(168 * HOUR)).toBe('7d');
  });
});
