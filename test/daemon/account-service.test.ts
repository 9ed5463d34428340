// The account service found through the conscience: a conscience that does not manage the type
// `account` at all (404, oio status 453, fact 27) is a configuration problem, told at once and
// naming the setting; one with the type but no service up is a transient failure.
import { afterEach, describe, expect, it } from 'vitest';
import { AccountServiceNotFoundError, DiscoveredAccountService } from '../../src/daemon/account-service.js';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import { runSweep } from '../../src/sweep/sweep.js';
import { startFakeHttp, type FakeHttpServer, type FakeReply } from '../helpers/fake-http.js';
import { Harness } from '../sweep/harness.js';

const NOT_MANAGED: FakeReply = { status: 404, json: { status: 453, message: 'Service type [account] not managed' } };
const LIST = 'GET /v3.0/OPENIO/conscience/list';

let server: FakeHttpServer | undefined;
let proxy: ProxyClient | undefined;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
  server = undefined;
  proxy = undefined;
});

async function discovered(reply: FakeReply): Promise<DiscoveredAccountService> {
  server = await startFakeHttp({ [LIST]: reply });
  proxy = createProxyClient({ url: server.url, namespace: 'OPENIO', retries: 2, retryBaseMs: 1 });
  return new DiscoveredAccountService(proxy, { retries: 2, retryBaseMs: 1 }, null);
}

async function firstFailure(listing: AsyncIterable<string | readonly string[]>): Promise<unknown> {
  try {
    for await (const _ of listing) return undefined;
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('DiscoveredAccountService', () => {
  it('fails at once with one permanent error naming account.url when the conscience manages no account service (453)', async () => {
    const accounts = await discovered(NOT_MANAGED);
    const err = await firstFailure(accounts.listAccounts());
    expect(err).toBeInstanceOf(AccountServiceNotFoundError);
    expect(err).toMatchObject({ code: 'OIO_NO_ACCOUNT_SERVICE', permanent: true, oioStatus: 453 });
    expect((err as Error).message).toContain('account.url');
    // A permanent answer is not retried by the client either.
    expect(server!.calls(LIST)).toHaveLength(1);
    expect(server!.calls(LIST)[0]?.query.get('type')).toBe('account');
  });

  it('calls a conscience without any account service up a transient failure (the next sweep looks again)', async () => {
    const accounts = await discovered({ json: [] });
    const err = await firstFailure(accounts.listContainers('acct'));
    expect(err).toMatchObject({ code: 'OIO_NO_ACCOUNT_SERVICE', permanent: false });
  });
});

describe('a sweep without an account service', () => {
  it('fails at once, without enumeration retries, and leaves no position behind (the next sweep is not "resumed")', async () => {
    const accounts = await discovered(NOT_MANAGED);
    const h = new Harness({});
    // Default backoff (1 s doubling): retries would show as more conscience calls and seconds of waiting.
    const opts = { ...h.options(new AbortController().signal), enumerationBackoffMs: 1000, enumerationRetries: 5 };
    const first = await runSweep({ ...h.deps(), accounts }, opts);
    expect(first.result).toBe('failed');
    expect(first.error).toMatchObject({ code: 'OIO_NO_ACCOUNT_SERVICE', permanent: true });
    expect(first.error?.message).toContain('account.url');
    expect(server!.calls(LIST)).toHaveLength(1);
    expect(h.state.checkpoint).toBeNull();

    const second = await runSweep({ ...h.deps(), accounts }, opts);
    expect(second).toMatchObject({ result: 'failed', resumed: false });
    expect(second.sweepId).not.toBe(first.sweepId);
  });

  it('fails, not "completes with nothing", when the accounts are named in the configuration', async () => {
    // Named accounts are listed without listing accounts first: a 453 must not pass for "account deleted".
    const accounts = await discovered(NOT_MANAGED);
    const h = new Harness({});
    const summary = await runSweep({ ...h.deps(), accounts }, h.options(new AbortController().signal, { filter: { names: ['a1', 'a2'] } }));
    expect(summary.result).toBe('failed');
    expect(summary.error).toMatchObject({ code: 'OIO_NO_ACCOUNT_SERVICE', permanent: true });
  });
});
