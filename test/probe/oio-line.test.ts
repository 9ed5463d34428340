// Pure decisions about the oio-sds line (src/probe/oio-line.ts, src/oio/versions.ts): which line
// the signs show, what the daemon does with it and each transport, which configured keys stay
// required on it, and how an empty table through the proxy reads on lines that hide unreachable
// peers behind it. Tables of cases, no server.
import { describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { requiredKeysFor } from '../../src/oio/versions.js';
import { classifyReplica } from '../../src/probe/classify.js';
import { decideLine, detectLine, type LineSigns } from '../../src/probe/oio-line.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';

const MODERN: LineSigns = { referenceCid: true, serviceIdIgnored: false };
const MASTER_KEYS = ['sys.m2.init', 'sys.m2.shards', 'version:main.shard_ranges'];
const SEVEN_KEYS = ['sys.m2.init', 'sys.m2.chunks.missing', 'sys.m2.objects.damaged'];
const FOUR_KEYS = ['sys.m2.init', 'sys.m2.ctime'];

describe('detectLine: the line the signs show', () => {
  it.each<[string, LineSigns, string | undefined]>([
    ['reference/show without cid', { referenceCid: false }, '4.2'],
    ['service_id ignored (4.3.x has cid but ignores service_id)', { referenceCid: true, serviceIdIgnored: true }, '4.2'],
    ['4.2 signs win over master signs', { referenceCid: false, conscienceScores: true }, '4.2'],
    ['conscience scores', { ...MODERN, conscienceScores: true }, 'master'],
    ['has with mtime', { ...MODERN, conscienceScores: false, hasMtime: true }, 'master'],
    ['a master creation key in the table', { ...MODERN, conscienceScores: false, tableKeys: MASTER_KEYS }, 'master'],
    ['5.x-7.x creation keys', { ...MODERN, conscienceScores: false, tableKeys: SEVEN_KEYS }, '7'],
    ['an initialised table with neither', { ...MODERN, conscienceScores: false, tableKeys: FOUR_KEYS }, '4.4'],
    ['pre-master, no table yet: the most cautious of 4.4-7.x', { ...MODERN, conscienceScores: false }, '4.4'],
    ['nothing conclusive (locate failed)', {}, undefined],
    ['cid but service_id not tested (one-peer container, no sign 3)', { referenceCid: true }, undefined],
  ])('%s → %s', (_what, signs, line) => {
    const detected = detectLine(signs);
    expect(detected.line).toBe(line);
    expect(detected.why.length).toBeGreaterThan(0);
  });
});

describe('decideLine: adapt, warn or refuse', () => {
  const OLD: LineSigns = { referenceCid: false };
  const SEVEN: LineSigns = { ...MODERN, conscienceScores: false, tableKeys: SEVEN_KEYS };
  const MASTER: LineSigns = { ...MODERN, conscienceScores: true };
  it.each<[string, Parameters<typeof decideLine>, 'refuse' | 'warn' | 'go', string | undefined]>([
    ['auto, 4.2, proxy transport: refused, naming the line and the native transport', ['auto', 'proxy', OLD], 'refuse', '4.2'],
    ['auto, 4.2, native transport: adapted', ['auto', 'native', OLD], 'go', '4.2'],
    ['auto, 7.x, proxy transport: warned (reads run elections)', ['auto', 'proxy', SEVEN], 'warn', '7'],
    ['auto, 7.x, native transport: nothing to say', ['auto', 'native', SEVEN], 'go', '7'],
    ['auto, master, proxy transport: local=1, nothing to say', ['auto', 'proxy', MASTER], 'go', 'master'],
    ['configured 7 but the proxy is 4.2: refused whatever the transport', ['7', 'native', OLD], 'refuse', '4.2'],
    ['configured 4.2 with native: 4.2 rules even on a proxy that honours service_id', ['4.2', 'native', MASTER], 'go', '4.2'],
    ['configured 4.4 with proxy transport: warned at start (no signs yet)', ['4.4', 'proxy', {}], 'warn', '4.4'],
    ['configured master: no warning', ['master', 'proxy', {}], 'go', 'master'],
  ])('%s', (_what, args, outcome, line) => {
    const d = decideLine(...args);
    expect(d.line).toBe(line);
    expect(d.refuse !== undefined ? 'refuse' : d.warn !== undefined ? 'warn' : 'go').toBe(outcome);
    if (d.refuse) expect(d.refuse).toMatch(/4\.2\.x\/4\.3\.x.*does not honour service_id.*probe\.transport: native/);
    if (d.warn) expect(d.warn).toMatch(/no local=1.*election.*probe\.transport: native/);
  });
});

describe('requiredKeysFor: a healthy base is never damaged for a key its line never writes', () => {
  it.each<[string | undefined, string, boolean]>([
    ['7', 'sys.m2.shards', false],
    ['7', 'version:main.shard_ranges', false],
    ['5', 'stats.page_count', false],
    ['4.4', 'stats.page_count', false],
    ['4.4', 'sys.m2.chunks.missing', false],
    ['4.2', 'sys.m2.objects.damaged', false],
    ['master', 'sys.m2.chunks.missing', false],
    ['master', 'sys.m2.shards', true],
    ['7', 'sys.m2.chunks.missing', true],
    ['7', 'stats.page_count', true],
    [undefined, 'sys.m2.shards', false],
    [undefined, 'sys.m2.chunks.missing', false],
  ])('on %s, %s is required: %s', (line, key, kept) => {
    const { keys, dropped } = requiredKeysFor(line as never, [...DEFAULT_REQUIRED_KEYS, key]);
    expect(keys.includes(key)).toBe(kept);
    expect(dropped.includes(key)).toBe(!kept);
  });

  it.each([undefined, '4.2', '4.4', '5', '7', 'master'] as const)('keeps the 12 keys every line writes (%s)', (line) => {
    expect(requiredKeysFor(line, DEFAULT_REQUIRED_KEYS).keys).toEqual(DEFAULT_REQUIRED_KEYS);
  });
});

describe('an empty table through the proxy', () => {
  const cid = cidFromName('acct', 'ct');
  const base = { peer: '127.0.0.1:6131', table: { properties: {}, system: {} }, role: 'unknown' as const, cid, requiredKeys: DEFAULT_REQUIRED_KEYS };
  it.each<[string, boolean, { status: number } | undefined, string]>([
    ['master (503 for unreachable): a hidden error of the peer', false, undefined, 'corrupt-base'],
    ['7.x and older, no has answer: not seen (an unreachable peer reads the same, fact 34)', true, undefined, 'unreachable'],
    ['7.x and older, has 200: the peer answered an error', true, { status: 200 }, 'corrupt-base'],
    ['7.x and older, has 431: missing base', true, { status: 431 }, 'missing-base'],
    ['4.2.x, has code 9 (CODE_NETWORK_ERROR there)', true, { status: 9 }, 'unreachable'],
    ['later lines, has code 10 (CODE_NETWORK_ERROR)', true, { status: 10 }, 'unreachable'],
  ])('%s → %s', (_what, emptyMayBeUnreachable, has, health) => {
    const input = { ...base, ...(emptyMayBeUnreachable ? { emptyMayBeUnreachable } : {}), ...(has ? { has: { peer: base.peer, status: has.status, message: '', body: '' } } : {}) };
    expect(classifyReplica(input).health).toBe(health);
  });
});
