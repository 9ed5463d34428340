// Bad input in the configuration file: random YAML-ish text, and objects of the right layout
// with values of the wrong types (written out with the yaml library), through parseConfigText.
// It must never throw: a valid file gives ok:true, anything else ok:false with issues that each
// carry a message and say where (a setting path, or a line for a syntax error).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ConfigIssue } from '../../src/config/errors.js';
import { ENV_OVERRIDES } from '../../src/config/env.js';
import { parseConfigText, type LoadResult } from '../../src/config/load.js';
import { LOG_LEVELS, REPAIR_MODES } from '../../src/config/schema.js';

function parse(text: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  try {
    return parseConfigText(text, 'fuzz.yaml', env);
  } catch (err) {
    throw new Error(`parseConfigText threw ${(err as Error).name}: ${(err as Error).message}\n--- input ---\n${text}`);
  }
}

function expectWellFormedIssues(result: LoadResult, text: string): void {
  if (result.ok) return;
  expect(result.errors.length, text).toBeGreaterThan(0);
  for (const issue of result.errors as ConfigIssue[]) {
    expect(typeof issue.message).toBe('string');
    expect(issue.message.trim(), JSON.stringify(issue)).not.toBe('');
    expect(typeof issue.path).toBe('string');
    // Where: a setting path, or a place in the file (syntax errors and the file as a whole).
    const located = issue.path !== '' || (issue.file === 'fuzz.yaml' && Number.isInteger(issue.line) && Number.isInteger(issue.col));
    expect(located, JSON.stringify(issue)).toBe(true);
  }
}

// ---- random text -------------------------------------------------------------------------------

const yamlish = fc.string({
  unit: fc.oneof(
    { arbitrary: fc.constantFrom(...':-?,[]{}#&*!|>\'"%@`\n\n  \t<=~.0123456789'.split('')), weight: 3 },
    { arbitrary: fc.constantFrom('proxy', 'url', 'namespace', 'repair', 'mode', 'schedule', 'cron', 'windows', 'true', 'null', '&a', '*a', '<<', '!!int', '!!str', '---', '...'), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }), weight: 1 },
  ),
  maxLength: 120,
});

// ---- well-laid-out objects with wrong values -----------------------------------------------------

const wrong = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1.5, 1e12, '', ' ', 'all', '61 * * * *', 'ftp://x', 'http://h:1/?q', '25:00', 'Mars/Olympus', 'yes', 'NaN'),
);
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | typeof wrong extends fc.Arbitrary<infer W> ? W : never> => fc.oneof(a, wrong) as never;
const section = (fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.record(fields, { requiredKeys: [] }), weight: 5 },
    { arbitrary: fc.record({ ...fields, typo: wrong }, { requiredKeys: [] }), weight: 1 },
    { arbitrary: wrong, weight: 1 },
  );

const validCron = fc.constantFrom('0 */6 * * *', '*/5 * * * *', '30 2 * * 1-5');
const validUrl = fc.constantFrom('http://127.0.0.1:6006', 'https://proxy.example:443/', 'http://[::1]:6006');

const configObject = fc.record({
  proxy: section({ url: maybe(validUrl), namespace: maybe(fc.constantFrom('OPENIO', 'ns-1')), connectTimeoutMs: maybe(fc.integer({ min: 1, max: 600_000 })), requestTimeoutMs: maybe(fc.integer({ min: 1, max: 3_600_000 })), connections: maybe(fc.integer({ min: 1, max: 1024 })) }),
  account: section({ url: maybe(fc.oneof(validUrl, fc.constant(null))) }),
  accounts: section({
    include: maybe(fc.oneof(fc.constant('all'), fc.record({ names: fc.array(wrong, { maxLength: 3 }) }), fc.record({ prefixes: fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }) }))),
    exclude: section({ names: maybe(fc.array(fc.string(), { maxLength: 3 })), prefixes: maybe(fc.array(fc.string(), { maxLength: 3 })) }),
  }),
  probe: section({ requiredKeys: maybe(fc.array(fc.string(), { maxLength: 3 })), concurrency: maybe(fc.integer({ min: 1, max: 1024 })), probesPerSecond: maybe(fc.double({ min: 0.01, max: 1000, noNaN: true })), perServiceConcurrency: maybe(fc.integer({ min: 1, max: 256 })) }),
  schedule: section({
    cron: maybe(validCron),
    timezone: maybe(fc.constantFrom('UTC', 'Europe/Paris')),
    jitterSeconds: maybe(fc.integer({ min: 0, max: 86_400 })),
    runAtStart: maybe(fc.boolean()),
    windows: maybe(fc.array(section({ days: maybe(fc.subarray(['mon', 'tue', 'sat'])), start: maybe(fc.constantFrom('01:00', '22:30')), end: maybe(fc.constantFrom('06:00', '24:00')) }), { maxLength: 2 })),
  }),
  repair: section({
    mode: maybe(fc.constantFrom(...REPAIR_MODES)),
    dryRun: maybe(fc.boolean()),
    maxPerSweep: maybe(fc.integer({ min: 0, max: 1000 })),
    backoffSeconds: maybe(fc.integer({ min: 0, max: 86_400 })),
    backoffMaxSeconds: maybe(fc.integer({ min: 0, max: 604_800 })),
    maxAttempts: maybe(fc.integer({ min: 1, max: 100 })),
  }),
  metrics: section({ listen: maybe(fc.constantFrom('127.0.0.1:9464', '[::1]:0', ':9464')) }),
  journal: section({ path: maybe(fc.constantFrom('/var/lib/j.jsonl', null)) }),
  state: section({ dir: maybe(fc.constant('/var/lib/oio-repaird')) }),
  log: section({ level: maybe(fc.constantFrom(...LOG_LEVELS)) }),
  shutdown: section({ graceSeconds: maybe(fc.integer({ min: 1, max: 3600 })) }),
  progress: section({ intervalSeconds: maybe(fc.integer({ min: 1, max: 86_400 })) }),
  extra: wrong,
}, { requiredKeys: [] });

const envArb: fc.Arbitrary<NodeJS.ProcessEnv> = fc.dictionary(
  fc.constantFrom(...ENV_OVERRIDES.map((o) => o.name)),
  fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('http://127.0.0.1:6006', 'OPENIO', 'debug', '127.0.0.1:0')),
  { maxKeys: 3 },
);

describe('parseConfigText on bad input', () => {
  it('never throws on random YAML-ish text; every issue has a message and a place', () => {
    fc.assert(
      fc.property(yamlish, envArb, (text, env) => expectWellFormedIssues(parse(text, env), text)),
      { numRuns: 500 },
    );
  });

  it('never throws on settings of the wrong types; every issue names its setting or its line', () => {
    fc.assert(
      fc.property(configObject, envArb, (obj, env) => {
        const text = stringify(obj);
        const result = parse(text, env);
        expectWellFormedIssues(result, text);
        if (result.ok) {
          // Whatever was accepted has the types the daemon relies on.
          expect(typeof result.config.proxy.url).toBe('string');
          expect(Number.isInteger(result.config.probe.concurrency)).toBe(true);
          expect(REPAIR_MODES).toContain(result.config.repair.mode);
          expect(result.config.repair.backoffMaxSeconds).toBeGreaterThanOrEqual(result.config.repair.backoffSeconds);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('accepts every valid file', () => {
    const valid = fc.record({
      proxy: fc.record({ url: validUrl, namespace: fc.constantFrom('OPENIO', 'ns-1') }),
      probe: fc.record({ concurrency: fc.integer({ min: 1, max: 1024 }), perServiceConcurrency: fc.integer({ min: 1, max: 256 }) }, { requiredKeys: [] }),
      schedule: fc.record({ cron: validCron, runAtStart: fc.boolean(), windows: fc.array(fc.record({ start: fc.constant('01:00'), end: fc.constantFrom('06:00', '24:00') }), { maxLength: 2 }) }, { requiredKeys: [] }),
      repair: fc.record({ mode: fc.constantFrom(...REPAIR_MODES), maxPerSweep: fc.integer({ min: 0, max: 1000 }) }, { requiredKeys: [] }),
      log: fc.record({ level: fc.constantFrom(...LOG_LEVELS) }),
    }, { requiredKeys: ['proxy'] });
    fc.assert(
      fc.property(valid, (obj) => {
        const result = parse(stringify(obj));
        expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('reports an alias to an unknown anchor and an alias bomb as issues, not exceptions', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      .concat(['b', 'c', 'd', 'e'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcd'[i]}`).join(', ')}]`))
      .join('\n');
    for (const text of ['proxy: *nowhere\n', bomb]) {
      const result = parse(text);
      expect(result.ok).toBe(false);
      expectWellFormedIssues(result, text);
    }
  });
});
