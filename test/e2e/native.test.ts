// End to end: `check --transport native` and `repair --transport native` of the built binary
// against a simulator whose meta2 services listen natively on their own addresses. Natively a
// missing base (431) and a corrupt one (511) are told apart; the repair goes through the proxy
// and its verification reads natively again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { runCli } from '../helpers/daemon-process.js';
import { freeServiceIds } from '../helpers/free-ports.js';

let sim: Simulator;
let peers: string[];
let args: string[];

beforeAll(async () => {
  peers = await freeServiceIds(3);
  const [m, s1, s2] = peers as [string, string, string];
  const containers = ['missing', 'corrupt', 'repair-me'].map((name) => ({ account: 'acct', name, peers, master: m }));
  sim = await startSimulator({
    native: true,
    scenario: {
      services: peers,
      containers,
      faults: [
        { kind: 'missing-base', account: 'acct', container: 'missing', peer: s1 },
        { kind: 'corrupt-base', account: 'acct', container: 'corrupt', peer: s2 },
        { kind: 'missing-base', account: 'acct', container: 'repair-me', peer: s2 },
      ],
    },
  });
  args = ['--proxy', sim.url, '--ns', sim.namespace, '--transport', 'native'];
});
afterAll(() => sim.close());

function rowOf(stdout: string, peer: string): string {
  return stdout.split('\n').find((l) => l.startsWith(`| ${peer} `)) ?? '';
}

describe('oio-repaird --transport native', () => {
  it('check tells a missing base from a corrupt one', async () => {
    const [, s1, s2] = peers as [string, string, string];
    const missing = await runCli(['check', 'acct/missing', ...args]);
    expect(missing.stderr).toBe('');
    expect(missing.code).toBe(1);
    expect(rowOf(missing.stdout, s1)).toMatch(/\| slave +\| missing +\| missing-base +\|/);
    expect(missing.stdout).toMatch(/^Verdict: repairable/m);

    const corrupt = await runCli(['check', 'acct/corrupt', ...args, '--json']);
    expect(corrupt.code).toBe(1);
    const report = JSON.parse(corrupt.stdout) as { replicas: { peer: string; health: string; detail?: string }[] };
    const replica = report.replicas.find((r) => r.peer === s2);
    expect(replica?.health).toBe('corrupt-base');
    expect(replica?.detail).toContain('511');
    const stats = sim.stats();
    expect(stats.byRoute['native/DB_PGET']).toBeGreaterThanOrEqual(4);
    // Through the proxy: only locating and the CLI's one-off proxy guard, never a replica read of a peer.
    expect(stats.byRoute['native/DB_HAS']).toBeGreaterThanOrEqual(6);
  });

  it('repair syncs through the proxy and verifies natively', async () => {
    const s2 = peers[2] as string;
    sim.resetStats();
    const repair = await runCli(['repair', 'acct/repair-me', ...args]);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain(`Running step: election sync of ${s2} from the master`);
    expect(repair.stdout).toMatch(/^Verification \(round \d\): healthy/m);
    const stats = sim.stats();
    expect(stats.syncCalls[s2]).toBe(1);
    expect(stats.byRoute['native/DB_STATUS']).toBeGreaterThanOrEqual(6);
    expect(stats.byRoute['native/DB_PGET']).toBeGreaterThanOrEqual(6);
    expect(sim.truth(cidFromName('acct', 'repair-me'))?.replicas.every((r) => r.base === 'ok')).toBe(true);
  });

  it('refuses an unknown transport with a usage error', async () => {
    const bad = await runCli(['check', 'acct/missing', '--proxy', sim.url, '--transport', 'carrier-pigeon']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--transport: "carrier-pigeon" is not one of proxy, native');
  });
});
