// The daemon's verdict on the real behaviours the simulator now reproduces (oio-real-behaviour
// 24-29): what a probe sees through the proxy, as the daemon would judge it.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';
import { type FaultSpec, type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/index.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
const REF = { cid: cidFromName('acct', 'ct'), account: 'acct', container: 'ct' };
let sim: Simulator | undefined;
let proxy: ProxyClient | undefined;
afterEach(async () => {
  await proxy?.close();
  await sim?.close();
  proxy = undefined;
  sim = undefined;
});

async function start(faults: FaultSpec[], opts: Partial<SimulatorOptions> = {}): Promise<{ s: Simulator; probe: () => ReturnType<typeof probeContainer> }> {
  const s = await startSimulator({
    syncDelayMs: 5,
    ...opts,
    scenario: { services: [P1, P2, P3], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }], faults },
  });
  sim = s;
  const client = createProxyClient({ url: s.url, namespace: 'OPENIO', retries: 0 });
  proxy = client;
  return { s, probe: () => probeContainer(client, REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, alwaysElection: true }) };
}

const health = (report: Awaited<ReturnType<typeof probeContainer>>, peer: string) => report.replicas.find((r) => r.peer === peer)?.health;

describe('the verdict on real behaviours', () => {
  it('a killed service marked down (code 8): unknown, the replica unreachable, nothing to repair', async () => {
    const { s, probe } = await start([], { markDownAfterMs: 0 });
    s.inject({ kind: 'down', service: P3 });
    const report = await probe();
    expect(report.verdict).toBe('unknown');
    expect(health(report, P3)).toBe('unreachable');
  });

  it('damage on disk: healthy as served until the cache drop, then repairable', async () => {
    const { s, probe } = await start([{ kind: 'drop-keys', account: 'acct', container: 'ct', peer: P1, onDisk: true }]);
    expect((await probe()).verdict).toBe('healthy');
    s.dropCache();
    const report = await probe();
    expect(report.verdict).toBe('repairable');
    expect(health(report, P1)).toBe('missing-keys');
  });

  it('a slave truncated on disk: repairable once opened (missing keys)', async () => {
    const { s, probe } = await start([{ kind: 'truncate-base', account: 'acct', container: 'ct', peer: P1, onDisk: true }]);
    s.dropCache();
    const report = await probe();
    expect(report.verdict).toBe('repairable');
    expect(health(report, P1)).toBe('missing-keys');
  });

  it("a slave's header overwritten: not healthy on the open that renames it, healthy again once restored", async () => {
    const { s, probe } = await start([{ kind: 'corrupt-base', account: 'acct', container: 'ct', peer: P1, onDisk: true }], { restoreDelayMs: 100 });
    s.dropCache();
    const report = await probe();
    expect(report.verdict).not.toBe('healthy');
    expect(['missing-base', 'corrupt-base']).toContain(health(report, P1));
    let after = await probe();
    for (let k = 0; k < 40 && after.verdict !== 'healthy'; k++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await probe();
    }
    expect(after.verdict).toBe('healthy');
  });

  it("the master's header overwritten: mastership moves on its own; never judged healthy with the old master", async () => {
    const { s, probe } = await start([{ kind: 'corrupt-base', account: 'acct', container: 'ct', role: 'master', onDisk: true }], { restoreDelayMs: 100 });
    s.dropCache();
    const report = await probe();
    expect(report.verdict).not.toBe('healthy');
    expect(report.replicas.find((r) => r.role === 'master')?.peer).not.toBe(P2);
  });
});
