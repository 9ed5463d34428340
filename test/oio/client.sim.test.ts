// ProxyClient and AccountClient against the simulator (src/sim/): the client and the simulated
// proxy/account service agree on routes, parameters and shapes, end to end over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountClient, type AccountClient } from '../../src/oio/account-client.js';
import { cidFromName } from '../../src/oio/cid.js';
import { OioNotFoundError, OioUnavailableError, OioUnreachableError } from '../../src/oio/errors.js';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { demoScenario, startSimulator, type Simulator } from '../../src/sim/index.js';

const [P1, P2, P3, P4] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134'];
const FVE0: ContainerRef = { cid: cidFromName('myaccount', 'FVE0'), account: 'myaccount', container: 'FVE0' };
const FVE0_BY_CID: ContainerRef = { cid: cidFromName('myaccount', 'FVE0') };
const PHOTOS: ContainerRef = { cid: cidFromName('myaccount', 'photos'), account: 'myaccount', container: 'photos' };

let sim: Simulator;
let proxy: ProxyClient;
let accounts: AccountClient;
const routes: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ scenario: demoScenario(), syncDelayMs: 5 });
  const common = { url: sim.url, retryBaseMs: 1, retryMaxDelayMs: 5, headersTimeoutMs: 5_000 };
  proxy = createProxyClient({ ...common, namespace: sim.namespace, onRequest: (route, status) => routes.push(`${route} ${status ?? '-'}`) });
  accounts = createAccountClient(common);
});
afterAll(async () => {
  await proxy.close();
  await accounts.close();
  await sim.close();
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ProxyClient against the simulator', () => {
  it('locates the meta2 peers by name and by CID', async () => {
    expect((await proxy.locate(FVE0)).sort()).toEqual([P1, P2, P3]);
    expect((await proxy.locate(FVE0_BY_CID)).sort()).toEqual([P1, P2, P3]);
  });

  it('maps an unknown container to OioNotFoundError', async () => {
    await expect(proxy.locate({ cid: cidFromName('myaccount', 'nope'), account: 'myaccount', container: 'nope' })).rejects.toBeInstanceOf(
      OioNotFoundError,
    );
  });

  it("reads each replica on its own: the seed's slave lacks sys.m2.ctime, the master has it", async () => {
    const damaged = await proxy.getProperties(FVE0, P1);
    const master = await proxy.getProperties(FVE0_BY_CID, P2);
    expect(damaged.system['sys.m2.ctime']).toBeUndefined();
    expect(damaged.system['sys.account']).toBe('myaccount');
    expect(master.system['sys.m2.ctime']).toMatch(/^\d{16}$/);
    expect(master.system['sys.name']).toBe(`${FVE0.cid}.1`);
  });

  it('sees a missing base as 200 empty maps in get_properties and 431 in has', async () => {
    expect(await proxy.getProperties(PHOTOS, P4)).toEqual({ properties: {}, system: {} });
    const has = await proxy.has(PHOTOS, [P4, P2]);
    expect(has.map((a) => [a.peer, a.status])).toEqual([
      [P4, 431],
      [P2, 200],
    ]);
    expect(has[1]?.body).toMatch(/\.1\.meta2:\d+$/);
  });

  it('reads the election: status 200/303 in service_id order, debug MASTER/SLAVE with the master URL', async () => {
    const status = await proxy.status(FVE0, [P3, P2, P1]);
    expect(status.map((a) => [a.peer, a.status, a.status === 303 ? a.message : 'OK'])).toEqual([
      [P3, 303, P2],
      [P2, 200, 'OK'],
      [P1, 303, P2],
    ]);
    const debug = await proxy.debug(FVE0, [P1, P2]);
    expect(debug.map((a) => [a.peer, a.body?.state, a.body?.masterUrl])).toEqual([
      [P1, 'SLAVE', P2],
      [P2, 'MASTER', P2],
    ]);
  });

  it('lists meta2 services from the conscience', async () => {
    const services = await proxy.listServices('meta2');
    expect(services.map((s) => s.addr).sort()).toEqual(demoScenario().services);
    expect(services.every((s) => s.up)).toBe(true);
  });

  it('syncs: slaves answer 200, the master 301, and the slave gets sys.m2.ctime back', async () => {
    const answers = await proxy.sync(FVE0, [P1, P2, P3]);
    expect(answers.map((a) => [a.peer, a.status])).toEqual([
      [P1, 200],
      [P2, 301],
      [P3, 200],
    ]);
    await eventually(async () => (await proxy.getProperties(FVE0, P1)).system['sys.m2.ctime'] !== undefined);
  });

  it('writes a system key through the master, then reads it back on the master', async () => {
    const logs: ContainerRef = { cid: cidFromName('acme', 'logs-2024'), account: 'acme', container: 'logs-2024' };
    const ctime = '1795580884707842';
    await proxy.setProperties(logs, { 'sys.m2.ctime': ctime });
    expect((await proxy.getProperties(logs, P4)).system['sys.m2.ctime']).toBe(ctime);
  });

  it('makes one peer leave and sees another master elected', async () => {
    const docs: ContainerRef = { cid: cidFromName('myaccount', 'docs'), account: 'myaccount', container: 'docs' };
    const before = (await proxy.status(docs)).find((a) => a.status === 200)?.peer;
    expect(before).toBeDefined();
    const left = await proxy.leave(docs, [before as string]);
    expect(left).toEqual([{ peer: before, status: 200, message: 'OK', body: '' }]);
    const after = (await proxy.status(docs)).find((a) => a.status === 200)?.peer;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  it('maps a down peer to OioUnreachableError on get_properties and to code 2 on has', async () => {
    sim.inject({ kind: 'down', service: P3 });
    try {
      const err = await proxy.getProperties(FVE0, P3).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OioUnreachableError);
      expect(err).toMatchObject({ peer: P3, httpStatus: 503 });
      expect((await proxy.has(FVE0, [P3]))[0]?.status).toBe(2);
    } finally {
      sim.inject({ kind: 'up', service: P3 });
    }
  });

  it('does not retry a sync hit by an error burst', async () => {
    sim.inject({ kind: 'error-burst', service: P1, count: 1 });
    routes.length = 0;
    await expect(proxy.sync(FVE0, [P1])).rejects.toBeInstanceOf(OioUnavailableError);
    expect(routes).toEqual(['admin/sync 503']);
  });
});

describe('AccountClient against the simulator', () => {
  async function all(it: AsyncIterable<string | readonly string[]>): Promise<string[]> {
    const out: string[] = [];
    for await (const item of it) out.push(...(typeof item === 'string' ? [item] : item));
    return out;
  }

  it('pages accounts and containers', async () => {
    expect(await all(accounts.listAccounts({ limit: 2 }))).toEqual(['acme', 'archive', 'myaccount']);
    expect(await all(accounts.listContainers('myaccount', { limit: 2 }))).toEqual(
      ['FVE0', 'docs', 'music', 'photos', 'projects', 'videos'].sort(),
    );
  });

  it('filters containers by prefix', async () => {
    expect(await all(accounts.listContainers('archive', { prefix: 'backup-', limit: 1 }))).toEqual(['backup-01', 'backup-02', 'backup-03']);
  });

  it('maps an unknown account to OioNotFoundError', async () => {
    await expect(all(accounts.listContainers('ghost'))).rejects.toBeInstanceOf(OioNotFoundError);
  });
});
