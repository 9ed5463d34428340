// End to end: the one-shot commands of the built binary (check, repair, journal, --help) run
// as child processes against the demo namespace served by the simulator in the test process,
// judged by their exit codes, their output and the simulator's ground truth and stats.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoScenario, startSimulator, type Simulator } from '../../src/sim/index.js';
import { cidFromName } from '../../src/oio/cid.js';
import { readJournal, runCli, tempDir } from '../helpers/daemon-process.js';
import { closedPortUrl } from '../helpers/fake-http.js';
import { truthProblems } from './sim-truth.js';

let sim: Simulator;
let proxy: string[];

beforeAll(async () => {
  sim = await startSimulator({ scenario: demoScenario() });
  proxy = ['--proxy', sim.url, '--ns', sim.namespace];
});
afterAll(() => sim.close());

/** The table row of one peer. */
function rowOf(stdout: string, peer: string): string {
  return stdout.split('\n').find((l) => l.startsWith(`| ${peer} `)) ?? '';
}

describe('oio-repaird check / repair / journal', () => {
  it('check reports the seed case, repair syncs the damaged slave, and check then finds it healthy', async () => {
    const dir = await tempDir();
    const journalFile = join(dir, 'repairs.jsonl');
    const cid = cidFromName('myaccount', 'FVE0');

    const before = await runCli(['check', 'myaccount/FVE0', ...proxy]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(`Container myaccount/FVE0 (${cid})`);
    expect(rowOf(before.stdout, '127.0.0.1:6131')).toMatch(/\| slave +\| present +\| missing-keys +\| sys\.m2\.ctime +\|/);
    expect(rowOf(before.stdout, '127.0.0.1:6132')).toMatch(/\| master +\| present +\| ok +\|/);
    expect(before.stdout).toMatch(/^Verdict: repairable/m);

    const repair = await runCli(['repair', 'myaccount/FVE0', ...proxy, '--journal', journalFile]);
    expect(repair.stderr).toBe('');
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain('Running step: election sync of 127.0.0.1:6131 from the master');
    // The per-peer answer of the sync, as the openio CLI shows it.
    expect(repair.stdout).toMatch(/\| 127\.0\.0\.1:6131 \| 200 +\|/);
    expect(repair.stdout).toMatch(/^Verification \(round 1\): healthy/m);
    expect(repair.stdout).toMatch(/^Outcome: succeeded/m);
    expect(sim.stats().syncCalls['127.0.0.1:6131']).toBe(1);
    expect(truthProblems(sim.truth(cid))).toEqual([]);

    const after = await runCli(['check', 'myaccount/FVE0', ...proxy]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^Verdict: healthy/m);

    // The journal the repair appended to, read back by the journal command.
    expect((await readJournal(journalFile)).map((e) => e.type)).toEqual(['evidence', 'step-start', 'step-end', 'verify', 'repair']);
    const printed = await runCli(['journal', '--file', journalFile]);
    expect(printed.code).toBe(0);
    const lines = printed.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/myaccount\/FVE0  evidence +round 1 before election sync of 127\.0\.0\.1:6131 from the master 127\.0\.0\.1:\d+: /);
    expect(lines[0]).toMatch(/127\.0\.0\.1:6131 slave base present missing-keys OVERWRITTEN, table of \d+ keys/);
    expect(lines[1]).toContain('myaccount/FVE0  step-start  round 1 election sync of 127.0.0.1:6131 from the master [before: ');
    expect(lines[1]).toContain('127.0.0.1:6131 missing-keys slave (missing sys.m2.ctime)');
    expect(lines[2]).toMatch(/step-end +round 1 sync done: .*127\.0\.0\.1:6131 200/);
    expect(lines[4]).toMatch(/repair +succeeded \(REPAIR_SUCCEEDED\): /);
    const json = await runCli(['journal', '--file', journalFile, '--json', 'myaccount/FVE0']);
    expect(json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { cid: string }).cid)).toEqual([cid, cid, cid, cid, cid]);
  });

  it('repair --dry-run prints the plan and changes nothing', async () => {
    const cid = cidFromName('myaccount', 'photos');
    const truthBefore = sim.truth(cid);
    const statsBefore = sim.stats();
    const dry = await runCli(['repair', 'myaccount/photos', '--dry-run', ...proxy]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('Would run step: election sync of 127.0.0.1:6134 from the master');
    expect(dry.stdout).toMatch(/^Outcome: dry_run/m);
    expect(sim.truth(cid)).toEqual(truthBefore);
    const statsAfter = sim.stats();
    expect(statsAfter.syncCalls).toEqual(statsBefore.syncCalls);
    expect(statsAfter.leaveCalls).toEqual(statsBefore.leaveCalls);
    expect(statsAfter.writes).toBe(statsBefore.writes);
    expect(statsAfter.byRoute['POST admin/sync'] ?? 0).toBe(statsBefore.byRoute['POST admin/sync'] ?? 0);
  });

  it('--json prints a report (check) and a result (repair) that parse; a container without a healthy quorum is refused untouched', async () => {
    const check = await runCli(['check', 'acme/logs-2024', '--json', ...proxy]);
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout) as { verdict: string; replicas: { peer: string; role: string; health: string; missingKeys: string[] }[] };
    expect(report.verdict).toBe('master-damaged');
    expect(report.replicas.find((r) => r.peer === '127.0.0.1:6134')).toMatchObject({ role: 'master', health: 'missing-keys', missingKeys: ['sys.m2.ctime'] });

    const cid = cidFromName('archive', 'tapes');
    const truthBefore = sim.truth(cid);
    const syncsBefore = sim.stats().byRoute['POST admin/sync'] ?? 0;
    const repair = await runCli(['repair', 'archive/tapes', '--json', ...proxy]);
    const result = JSON.parse(repair.stdout) as { outcome: string; reason: string; before: { verdict: string } };
    // Two of three replicas damaged: no healthy quorum to copy from.
    expect(result.before.verdict).toBe('unrepairable');
    expect(result.outcome).toBe('refused');
    expect(repair.code).toBe(1);
    expect(sim.truth(cid)).toEqual(truthBefore);
    expect(sim.stats().byRoute['POST admin/sync'] ?? 0).toBe(syncsBefore);
    expect(sim.stats().byRoute['POST admin/leave'] ?? 0).toBe(0);
  });
});

describe('oio-repaird usage and errors', () => {
  it('exits 64 with a precise message on bad arguments', async () => {
    const cases: [string[], string][] = [
      [['check', ...['--proxy', 'http://127.0.0.1:1']], 'oio-repaird check: missing ACCOUNT/CONTAINER (or --cid CID)'],
      [['check', 'noslash'], 'oio-repaird check: "noslash" is not ACCOUNT/CONTAINER (both parts must be non-empty)'],
      [['check', 'a/b', '--timeout', 'soon'], 'oio-repaird check: --timeout: "soon" is not a whole number'],
      [['check', '--cid', 'XYZ'], 'oio-repaird check: --cid: "XYZ" is not a CID (64 hexadecimal characters)'],
      [['repair', 'a/b', '--bogus'], "oio-repaird repair: Unknown option '--bogus'"],
      [['frobnicate'], 'oio-repaird: unknown command "frobnicate"'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      const [args, message] = cases[i] as [string[], string];
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe(message);
      expect(r.stdout).toBe('');
    });
  });

  it('exits 2 with a clear error when the proxy is down', async () => {
    const port = new URL(await closedPortUrl()).port;
    const [check, repair] = await Promise.all([
      runCli(['check', 'myaccount/FVE0', '--proxy', `http://127.0.0.1:${port}`]),
      runCli(['repair', 'myaccount/FVE0', '--proxy', `http://127.0.0.1:${port}`]),
    ]);
    for (const r of [check, repair]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/Verdict: unknown \(PROBE_FAILED\) — locate failed: OIO_UNREACHABLE: reference\/show: ECONNREFUSED/);
    }
    expect(check.stderr).toContain(`error: OIO_UNREACHABLE: reference/show: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('--help prints the commands (exit 0), a command --help its usage (exit 0), no command the usage on stderr (exit 64)', async () => {
    const [help, checkHelp, none] = await Promise.all([runCli(['--help']), runCli(['check', '--help']), runCli([])]);
    expect(help.code).toBe(0);
    for (const command of ['run', 'check', 'repair', 'journal', 'check-config', 'sim', 'demo']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(checkHelp.code).toBe(0);
    expect(checkHelp.stdout).toMatch(/^Usage: oio-repaird check ACCOUNT\/CONTAINER \[options\]/);
    expect(checkHelp.stdout).toContain('Exit status: 0 healthy, 1 damaged');
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(/^Usage: oio-repaird <command>/);
  });
});
