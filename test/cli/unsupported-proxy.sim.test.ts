// `check` and `repair` against a proxy that does not honour service_id (the simulator as a 4.2.x
// proxy, fact 37): exit 76 (EX_UNSUPPORTED_PROXY) with a clear message, and not one mutating
// request, even for a container whose damaged master a 4.2.x "sync of a slave" would spread.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import type { CliIO } from '../../src/cli/command.js';
import { EX_UNSUPPORTED_PROXY } from '../../src/cli/exit-codes.js';
import { repairCommand } from '../../src/cli/repair.js';
import { cidFromName } from '../../src/oio/cid.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { freeServiceIds } from '../helpers/free-ports.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function io(): CliIO & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env: {}, out: () => out, err: () => err };
}

async function start(oioVersion: '4.2' | 'master'): Promise<Simulator> {
  sim = await startSimulator({
    oioVersion,
    scenario: {
      services: [P1, P2, P3],
      containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }],
      faults: [{ kind: 'drop-keys', account: 'acct', container: 'ct', role: 'master', keys: ['sys.m2.ctime'] }],
    },
  });
  return sim;
}

const MUTATING = ['POST admin/sync', 'POST admin/leave', 'POST admin/set_properties'];

describe('check and repair through a 4.2.x proxy', () => {
  it.each([
    ['check', ['acct/ct']],
    ['check', ['--cid', cidFromName('acct', 'ct')]],
    ['repair', ['acct/ct']],
    ['repair', ['--cid', cidFromName('acct', 'ct')]],
  ])('%s %s exits 76 with a clear message and sends no mutating request', async (command, args) => {
    const s = await start('4.2');
    const streams = io();
    const run = command === 'check' ? checkCommand : repairCommand;
    const code = await run.run([...args, '--proxy', s.url, '--ns', 'OPENIO'], streams);
    expect(code).toBe(EX_UNSUPPORTED_PROXY);
    expect(streams.err()).toMatch(/unsupported proxy: .*does not honour service_id/);
    expect(streams.err()).toContain(`nothing was probed or changed through ${s.url}`);
    const stats = s.stats();
    for (const route of MUTATING) expect(stats.byRoute[route] ?? 0, route).toBe(0);
    expect(stats.byRoute['POST admin/get_properties'] ?? 0).toBeLessThanOrEqual(1);
    expect(s.truth(cidFromName('acct', 'ct'))?.replicas.filter((r) => r.admin['sys.m2.ctime'] !== undefined)).toHaveLength(2);
  });

  it('the same repair through a master proxy repairs the container (exit 0)', async () => {
    const s = await start('master');
    const streams = io();
    expect(await repairCommand.run(['acct/ct', '--proxy', s.url, '--ns', 'OPENIO'], streams)).toBe(0);
  });
});

describe('check and repair through a 4.2.x proxy with --transport native', () => {
  it('check reads each replica natively (exit 1, the damaged master named), then repair leaves it and syncs without service_id (exit 0)', async () => {
    const peers = await freeServiceIds(3);
    const [m, s1, s2] = peers as [string, string, string];
    sim = await startSimulator({
      oioVersion: '4.2',
      native: true,
      syncDelayMs: 5,
      scenario: {
        services: peers,
        containers: [{ account: 'acct', name: 'ct', peers, master: m }, { account: 'acct', name: 'slave', peers, master: m }],
        faults: [
          { kind: 'drop-keys', account: 'acct', container: 'ct', role: 'master', keys: ['sys.m2.ctime'] },
          { kind: 'missing-base', account: 'acct', container: 'slave', peer: s1 },
        ],
      },
    });
    const args = ['--proxy', sim.url, '--ns', 'OPENIO', '--transport', 'native'];
    const check = io();
    expect(await checkCommand.run(['acct/ct', ...args], check)).toBe(1);
    expect(check.out()).toMatch(/Verdict: master-damaged/);
    const repair = io();
    expect(await repairCommand.run(['acct/slave', ...args], repair), repair.err() + repair.out()).toBe(0);
    // The 4.2.x sync reaches every slave (no service_id), from the master re-read healthy just before it.
    expect(sim.stats().syncCalls).toEqual({ [m]: 1, [s1]: 1, [s2]: 1 });
    expect(sim.truth(cidFromName('acct', 'slave'))?.replicas.map((r) => r.base)).toEqual(['ok', 'ok', 'ok']);
    expect(sim.stats().byRoute['POST admin/get_properties'] ?? 0).toBe(0);
  });
});
