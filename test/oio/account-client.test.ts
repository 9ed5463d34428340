// AccountClient against a real local server that pages like the account service does, in the
// master shape ({"listing":[{"id"}],"truncated","next_marker"}), the old bare-array shape, and
// the container listing ([name, objects, bytes, is_prefix, mtime]).
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccountClient, type AccountClient } from '../../src/oio/account-client.js';
import { OioNotFoundError, OioBadAnswerError } from '../../src/oio/errors.js';
import { startFakeHttp, type FakeHttpServer, type RecordedRequest, type RouteTable } from '../helpers/fake-http.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(routes: RouteTable): Promise<{ server: FakeHttpServer; accounts: AccountClient }> {
  const server = await startFakeHttp(routes);
  const accounts = createAccountClient({ url: server.url, retryBaseMs: 1, retryMaxDelayMs: 5 });
  cleanups.push(() => server.close(), () => accounts.close());
  return { server, accounts };
}

/** Every name of a listing: account names one by one, container names a page at a time. */
async function collect(it: AsyncIterable<string | readonly string[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of it) out.push(...(typeof item === 'string' ? [item] : item));
  return out;
}

/** What the service holds, sorted, filtered and paged like the real one (marker exclusive). */
function page(names: string[], req: RecordedRequest): { slice: string[]; truncated: boolean } {
  const limit = Number(req.query.get('limit') ?? '1000');
  const marker = req.query.get('marker');
  const prefix = req.query.get('prefix') ?? '';
  const matching = [...names].sort().filter((n) => n.startsWith(prefix) && (marker === null || n > marker));
  return { slice: matching.slice(0, limit), truncated: matching.length > limit };
}

function reply(res: ServerResponse, json: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(json));
}

const ACCOUNTS = ['AUTH_demo', 'acct-01', 'acct-02', 'acct-03', 'acct-04', 'acct-05', 'acct-06', 'acct/odd name é', 'zeta'];

describe('AccountClient.listAccounts', () => {
  it('pages the master shape with next_marker while truncated', async () => {
    const { server, accounts } = await setup({
      'GET /v1.0/account/list': (req, res) => {
        const { slice, truncated } = page(ACCOUNTS, req);
        reply(res, { listing: slice.map((id) => ({ id })), truncated, ...(truncated ? { next_marker: slice.at(-1) } : {}) });
      },
    });
    expect(await collect(accounts.listAccounts({ limit: 3 }))).toEqual([...ACCOUNTS].sort());
    const calls = server.calls('GET /v1.0/account/list');
    expect(calls.map((c) => c.query.get('marker'))).toEqual([null, 'acct-02', 'acct-05']);
    expect(calls.every((c) => c.query.get('limit') === '3')).toBe(true);
  });

  it('pages the old bare-array shape with marker = last name until a short page', async () => {
    const { server, accounts } = await setup({
      'GET /v1.0/account/list': (req, res) => reply(res, page(ACCOUNTS, req).slice),
    });
    expect(await collect(accounts.listAccounts({ limit: 4 }))).toEqual([...ACCOUNTS].sort());
    expect(server.calls('GET /v1.0/account/list').map((c) => c.query.get('marker'))).toEqual([null, 'acct-03', 'acct/odd name é']);
  });

  it('sends prefix and a starting marker, encoded', async () => {
    const { server, accounts } = await setup({
      'GET /v1.0/account/list': (req, res) => reply(res, page(ACCOUNTS, req).slice),
    });
    expect(await collect(accounts.listAccounts({ prefix: 'acct', marker: 'acct-04', limit: 2 }))).toEqual([
      'acct-05',
      'acct-06',
      'acct/odd name é',
    ]);
    const calls = server.calls('GET /v1.0/account/list');
    expect(calls.map((c) => c.query.get('marker'))).toEqual(['acct-04', 'acct-06']);
    expect(calls[1]?.rawQuery).toBe('limit=2&marker=acct-06&prefix=acct');
    expect(calls.every((c) => c.query.get('prefix') === 'acct')).toBe(true);
  });

  it('stops after one page when an old service ignores paging and returns everything, sorted in byte order', async () => {
    const { server, accounts } = await setup({ 'GET /v1.0/account/list': { json: ACCOUNTS } });
    expect(await collect(accounts.listAccounts({ limit: 3 }))).toEqual([...ACCOUNTS].sort());
    expect(server.requests).toHaveLength(1);
  });

  it('applies prefix and marker itself when a 7.x-and-older service ignores them (fact 39), so a resumed sweep neither repeats nor skips', async () => {
    const { server, accounts } = await setup({ 'GET /v1.0/account/list': { json: ['zz', 'acct-02', 'AUTH_demo', 'acct-01', 'acct-03'] } });
    expect(await collect(accounts.listAccounts({ prefix: 'acct', marker: 'acct-01' }))).toEqual(['acct-02', 'acct-03']);
    expect(server.requests).toHaveLength(1);
  });

  it('stops when a service sends the exclusive marker back instead of repeating pages', async () => {
    const { server, accounts } = await setup({ 'GET /v1.0/account/list': { json: ['a', 'b'] } });
    expect(await collect(accounts.listAccounts({ limit: 2 }))).toEqual(['a', 'b']);
    expect(server.requests).toHaveLength(2);
  });

  it('reads an old 404 "No account found" as an empty namespace', async () => {
    const { accounts } = await setup({ 'GET /v1.0/account/list': { status: 404, json: { status: 404, message: 'No account found' } } });
    expect(await collect(accounts.listAccounts())).toEqual([]);
  });

  it('fetches a page only when the consumer asks for it', async () => {
    const { server, accounts } = await setup({
      'GET /v1.0/account/list': (req, res) => reply(res, page(ACCOUNTS, req).slice),
    });
    const names = accounts.listAccounts({ limit: 2 })[Symbol.asyncIterator]();
    expect((await names.next()).value).toBe('AUTH_demo');
    expect((await names.next()).value).toBe('acct-01');
    expect(server.requests).toHaveLength(1);
    await names.return?.();
  });

  it('stops when the signal is aborted between pages', async () => {
    const controller = new AbortController();
    const { server, accounts } = await setup({
      'GET /v1.0/account/list': (req, res) => reply(res, page(ACCOUNTS, req).slice),
    });
    const seen: string[] = [];
    const run = async (): Promise<void> => {
      for await (const name of accounts.listAccounts({ limit: 2, signal: controller.signal })) {
        seen.push(name);
        if (seen.length === 2) controller.abort(new Error('stopping'));
      }
    };
    await expect(run()).rejects.toThrow('stopping');
    expect(seen).toEqual(['AUTH_demo', 'acct-01']);
    expect(server.requests).toHaveLength(1);
  });
});

describe('AccountClient.listContainers', () => {
  const CONTAINERS = ['FVE0', 'bucket 1', 'bucket/2', 'c3', 'c4', 'c5', 'été'];

  it('pages container entries with id, marker and prefix, skipping prefix entries', async () => {
    const { server, accounts } = await setup({
      'GET /v1.0/account/containers': (req, res) => {
        const { slice, truncated } = page(CONTAINERS, req);
        const listing: unknown[] = slice.map((n) => [n, 1, 111, 0, 1656577370.438831]);
        if (req.query.get('marker') === null) listing.splice(1, 0, ['bucket/', 0, 0, 1, 0]);
        reply(res, { id: 'my account', listing: listing.slice(0, Number(req.query.get('limit'))), truncated });
      },
    });
    const names = await collect(accounts.listContainers('my account', { limit: 3 }));
    // The prefix entry counted in the first page: 'bucket 1' is pushed to page 2 by it, and still listed.
    expect(names).toEqual(['FVE0', 'bucket 1', 'bucket/2', 'c3', 'c4', 'c5', 'été']);
    const calls = server.calls('GET /v1.0/account/containers');
    expect(calls.every((c) => c.query.get('id') === 'my account')).toBe(true);
    expect(calls[0]?.rawQuery).toBe('id=my%20account&limit=3');
    expect(calls.map((c) => c.query.get('marker'))).toEqual([null, 'bucket 1', 'c4']);
  });

  it('pages the older shape without truncated until a short page', async () => {
    const { server, accounts } = await setup({
      'GET /v1.0/account/containers': (req, res) =>
        reply(res, { id: 'a', listing: page(CONTAINERS, req).slice.map((n) => [n, 0, 0, 0, 0]) }),
    });
    expect(await collect(accounts.listContainers('a', { limit: 7 }))).toEqual(CONTAINERS);
    // A full page: one more request, which comes back empty.
    expect(server.requests).toHaveLength(2);
  });

  it('filters by prefix', async () => {
    const { server, accounts } = await setup({
      'GET /v1.0/account/containers': (req, res) => {
        const { slice, truncated } = page(CONTAINERS, req);
        reply(res, { listing: slice.map((n) => [n, 0, 0, 0, 0]), truncated });
      },
    });
    expect(await collect(accounts.listContainers('a', { prefix: 'bucket', limit: 1 }))).toEqual(['bucket 1', 'bucket/2']);
    expect(server.requests.every((r) => r.query.get('prefix') === 'bucket')).toBe(true);
  });

  it('throws OioNotFoundError for an unknown account', async () => {
    const { accounts } = await setup({
      'GET /v1.0/account/containers': { status: 404, json: { status: 404, message: 'Account not found' } },
    });
    await expect(collect(accounts.listContainers('ghost'))).rejects.toBeInstanceOf(OioNotFoundError);
  });

  it('refuses a page of the wrong shape', async () => {
    const { accounts } = await setup({ 'GET /v1.0/account/containers': { json: { listing: [{ name: 'x' }] } } });
    await expect(collect(accounts.listContainers('a'))).rejects.toBeInstanceOf(OioBadAnswerError);
  });
});
