// Human output is safe: a container name holding terminal escapes, CR, NUL or U+2028 is printed
// escaped by check, repair and journal (and by --json, which stays valid JSON), never raw.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { println } from '../../src/cli/command.js';
import { formatPlan, formatReport } from '../../src/cli/format.js';
import { formatJournalEntries } from '../../src/journal/read.js';
import type { JournalEntry } from '../../src/journal/types.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { runInProcess } from '../helpers/cli-io.js';
import { tempDir } from '../helpers/daemon-process.js';

/** Clears the screen, sets the window title, paints red, returns the cursor, NUL, U+2028. */
const EVIL = 'inv\u001b[2J\u001b]0;pwned\u0007\u001b[31mRED\rFAKE\u0000x\u2028y';
const ESCAPED = 'inv\\u001b[2J\\u001b]0;pwned\\u0007\\u001b[31mRED\\rFAKE\\u0000x\\u2028y';
/** Anything a terminal acts on, except the LF between lines. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const PEERS = ['127.0.0.1:6141', '127.0.0.1:6142', '127.0.0.1:6143'];
let sim: Simulator;
let proxy: string[];

beforeAll(async () => {
  sim = await startSimulator({
    scenario: {
      namespace: 'OPENIO',
      services: PEERS,
      containers: [{ account: 'acct', name: EVIL, peers: PEERS, master: PEERS[1] as string }],
      faults: [{ kind: 'drop-keys', account: 'acct', container: EVIL, peer: PEERS[0] as string, keys: ['sys.m2.ctime'] }],
    },
  });
  proxy = ['--proxy', sim.url, '--ns', sim.namespace];
});
afterAll(() => sim.close());

function expectSafe(text: string): void {
  expect(text).not.toMatch(RAW_CONTROL);
}

describe('human output escapes control characters', () => {
  it('check prints the container name escaped, on one line', async () => {
    const out = await runInProcess(['check', `acct/${EVIL}`, ...proxy]);
    expect(out.code).toBe(1);
    expectSafe(out.stdout);
    expect(out.stdout.split('\n')[0]).toBe(`Container acct/${ESCAPED} (${out.stdout.split('(')[1]?.split(')')[0]})`);
  });

  it('repair, its --dry-run and its --json print nothing raw; the JSON still parses to the real name', async () => {
    const dry = await runInProcess(['repair', `acct/${EVIL}`, ...proxy, '--dry-run']);
    expectSafe(dry.stdout + dry.stderr);
    expect(dry.stdout).toContain(`Container acct/${ESCAPED}`);
    const json = await runInProcess(['repair', `acct/${EVIL}`, ...proxy, '--dry-run', '--json']);
    expectSafe(json.stdout);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(EVIL).slice(1, -1));
  });

  it('journal prints the names a repair recorded escaped, one entry per line', async () => {
    const file = join(await tempDir(), 'journal.jsonl');
    const repair = await runInProcess(['repair', `acct/${EVIL}`, ...proxy, '--journal', file]);
    expectSafe(repair.stdout + repair.stderr);
    expect(repair.code).toBe(0);
    const printed = await runInProcess(['journal', '--file', file]);
    expect(printed.code).toBe(0);
    expectSafe(printed.stdout);
    const lines = printed.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toContain(`acct/${ESCAPED}`);
  });

  it('journal --evidence prints each replica\'s table before the sync, the values from the namespace escaped', async () => {
    const file = join(await tempDir(), 'journal.jsonl');
    // The test before repaired it: damage it again.
    sim.inject({ kind: 'drop-keys', account: 'acct', container: EVIL, peer: PEERS[0] as string, keys: ['sys.m2.ctime'] });
    expect((await runInProcess(['repair', `acct/${EVIL}`, ...proxy, '--journal', file])).code).toBe(0);
    const printed = await runInProcess(['journal', '--file', file, '--evidence']);
    expect(printed.code).toBe(0);
    expectSafe(printed.stdout);
    expect(printed.stdout).toContain(`round 1 before election sync of ${PEERS[0]} from the master ${PEERS[1]}`);
    expect(printed.stdout).toContain(`${PEERS[0]} slave base present missing-keys OVERWRITTEN, table of`);
    // The overwritten slave's table, key by key, as it was before the sync.
    expect(printed.stdout).toContain(`    sys.user.name = ${ESCAPED}`);
    expect(printed.stdout.split('\n').filter((l) => l.startsWith('    sys.m2.ctime = ')).length).toBe(2);
  });
});

describe('the formatters escape every value from the namespace', () => {
  it('formatReport and formatPlan: peers, keys, reasons and election problems', () => {
    const report = {
      ref: { account: EVIL, container: EVIL, cid: 'AB' },
      peers: [EVIL],
      replicas: [{ peer: EVIL, health: 'missing-keys' as const, role: 'slave' as const, missingKeys: [EVIL], malformedKeys: [EVIL] }],
      election: { master: null, masters: [EVIL], problem: EVIL },
      verdict: 'repairable' as const,
      reason: EVIL,
      requests: 1,
    };
    const text = formatReport(report as never) + formatPlan({ decision: 'repair', code: 'PLAN_WRITE_BACK', reason: EVIL, steps: [{ kind: 'set-properties', values: { [EVIL]: EVIL } }] });
    expectSafe(text);
    expect(text).toContain(ESCAPED);
  });

  it('formatJournalEntries: names, peers, answers, details and reasons', () => {
    const base = { ts: '2026-11-25T10:00:00.000Z', cid: EVIL, account: EVIL, container: EVIL, reqId: 'r' };
    const entries: JournalEntry[] = [
      { ...base, type: 'detection', verdict: 'repairable', reason: EVIL, replicas: [{ peer: EVIL, health: 'missing-keys', role: 'slave', missingKeys: [EVIL] }] },
      { ...base, type: 'step-end', round: 1, status: 'failed', detail: EVIL, step: { kind: 'sync', peers: [EVIL] }, answers: [{ peer: EVIL, status: 500, message: EVIL }] },
      { ...base, type: 'repair', outcome: 'failed', reason: EVIL },
    ];
    const text = formatJournalEntries(entries);
    expectSafe(text);
    expect(text.split('\n')).toHaveLength(3);
  });

  it('println escapes what a caller forgot, keeping line breaks', () => {
    let written = '';
    println({ write: (chunk: string) => ((written += chunk), true) } as never, `a${EVIL}\nb`);
    expect(written).toBe(`a${ESCAPED}\nb\n`);
  });
});
