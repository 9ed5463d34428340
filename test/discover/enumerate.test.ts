import { describe, expect, it } from 'vitest';
import { compareNames, enumerateContainers, normalizePrefixes, type AccountFilter, type EnumerateOptions } from '../../src/discover/enumerate.js';
import { cidFromName } from '../../src/oio/cid.js';
import type { AccountApi, ListOptions } from '../../src/oio/types.js';
import { FakeAccounts, names, unavailable } from './fake-accounts.js';

async function collect(api: AccountApi, filter: AccountFilter, opts: EnumerateOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const page of enumerateContainers(api, filter, opts)) for (const c of page) out.push(`${c.account}/${c.container}`);
  return out;
}

const tree = { a: names('c', 7), b: names('c', 10), c: [], d: names('x', 2) };

describe('enumerateContainers', () => {
  it('streams every container of every account, in listing order, with its CID', async () => {
    const api = new FakeAccounts(tree);
    const seen = [];
    for await (const page of enumerateContainers(api, { include: 'all' }, { pageSize: 3 })) seen.push(...page);
    expect(seen.map((c) => `${c.account}/${c.container}`)).toEqual([
      ...names('c', 7).map((n) => `a/${n}`),
      ...names('c', 10).map((n) => `b/${n}`),
      'd/x000',
      'd/x001',
    ]);
    expect(seen[8]).toEqual({ cid: cidFromName('b', 'c001'), account: 'b', container: 'c001' });
  });

  it('pages through the listing with the last name as the exclusive marker', async () => {
    const api = new FakeAccounts(tree);
    await collect(api, { include: 'all' }, { pageSize: 3 });
    const bPages = api.pages.filter((p) => p.account === 'b');
    expect(bPages.map((p) => [p.marker, p.size])).toEqual([[undefined, 3], ['c002', 3], ['c005', 3], ['c008', 1]]);
  });

  it('resumes strictly after the saved container, inside the saved account, then goes on', async () => {
    const api = new FakeAccounts(tree);
    const got = await collect(api, { include: 'all' }, { resumeFrom: { account: 'b', container: 'c007' }, pageSize: 4 });
    expect(got).toEqual(['b/c008', 'b/c009', 'd/x000', 'd/x001']);
    expect(api.pages.find((p) => p.kind === 'accounts')?.marker).toBe('b');
    expect(api.pages.some((p) => p.account === 'a')).toBe(false);
  });

  it('resumes after an account that has since been deleted', async () => {
    const got = await collect(new FakeAccounts(tree), { include: 'all' }, { resumeFrom: { account: 'bb', container: 'zz' } });
    expect(got).toEqual(['d/x000', 'd/x001']);
  });

  it('lists only the named accounts, in name order, skipping unknown and excluded ones', async () => {
    const got = await collect(new FakeAccounts(tree), { names: ['d', 'nope', 'a', 'b', 'a'], exclude: ['b'] });
    expect(got).toEqual([...names('c', 7).map((n) => `a/${n}`), 'd/x000', 'd/x001']);
  });

  it('resumes a names filter from the saved account', async () => {
    const got = await collect(new FakeAccounts(tree), { names: ['a', 'b', 'd'] }, { resumeFrom: { account: 'b', container: 'c008' } });
    expect(got).toEqual(['b/c009', 'd/x000', 'd/x001']);
  });

  it('lists accounts by prefix, never twice when prefixes overlap', async () => {
    const api = new FakeAccounts({ prod1: ['k'], prod2: ['k'], prodx: ['k'], test: ['k'], zeta: ['k'] });
    const got = await collect(api, { prefixes: ['zeta', 'prod', 'prod1'], exclude: ['prodx'] });
    expect(got).toEqual(['prod1/k', 'prod2/k', 'zeta/k']);
    expect(normalizePrefixes(['prod1', 'prod', 'zeta', 'prod'])).toEqual(['prod', 'zeta']);
  });

  it('resumes a prefix filter: earlier prefixes skipped, the current one from the marker', async () => {
    const api = new FakeAccounts({ a1: ['k'], b1: ['k', 'l'], b2: ['k'], c1: ['k'] });
    const got = await collect(api, { prefixes: ['a', 'b', 'c'] }, { resumeFrom: { account: 'b1', container: 'k' } });
    expect(got).toEqual(['b1/l', 'b2/k', 'c1/k']);
  });

  it('excludes accounts from a full listing', async () => {
    const got = await collect(new FakeAccounts(tree), { include: 'all', exclude: ['a', 'b'] });
    expect(got).toEqual(['d/x000', 'd/x001']);
  });

  it('excludes accounts by prefix', async () => {
    const api = new FakeAccounts({ 'prod-1': ['k'], 'test-1': ['k'], 'test-2': ['k'], tester: ['k'] });
    const got = await collect(api, { include: 'all', excludePrefixes: ['test-'] });
    expect(got).toEqual(['prod-1/k', 'tester/k']);
  });

  it('propagates a listing failure other than a missing account', async () => {
    const api = new FakeAccounts(tree);
    api.failPage = (p) => (p.account === 'b' ? unavailable() : undefined);
    await expect(collect(api, { include: 'all' })).rejects.toMatchObject({ code: 'OIO_UNAVAILABLE' });
  });

  it('stops at the next page when its signal aborts', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const page of enumerateContainers(new FakeAccounts(tree), { include: 'all' }, { signal: ac.signal, pageSize: 3 })) {
        seen.push(...page.map((c) => c.container));
        if (seen.length === 3) ac.abort();
      }
    })();
    await expect(run).rejects.toThrow();
    expect(seen).toHaveLength(3);
  });

  it('orders names as UTF-8 bytes, like the account service', () => {
    // U+FF5E (3 UTF-8 bytes, EF…) sorts before U+1F600 (4 bytes, F0…), unlike UTF-16 order.
    expect(compareNames('\uFF5E', '\u{1F600}')).toBeLessThan(0);
    expect('\uFF5E' < '\u{1F600}').toBe(false);
  });
});

describe('enumerateContainers at scale', () => {
  /** 20 accounts × 10 000 containers, generated a page at a time: no list of all names exists. */
  class GeneratedAccounts implements AccountApi {
    materialised = 0;
    maxPage = 0;
    async *listAccounts(opts: ListOptions = {}): AsyncGenerator<string> {
      for (let i = 0; i < 20; i++) {
        const name = `acct${String(i).padStart(2, '0')}`;
        if (opts.marker === undefined || name > opts.marker) yield name;
      }
    }
    async *listContainers(_account: string, opts: ListOptions = {}): AsyncGenerator<readonly string[]> {
      const limit = opts.limit ?? 1000;
      let next = opts.marker === undefined ? 0 : Number(opts.marker.slice(1)) + 1;
      while (next < 10_000) {
        const page: string[] = [];
        for (let i = next; i < Math.min(next + limit, 10_000); i++) page.push(`c${String(i).padStart(5, '0')}`);
        this.materialised += page.length;
        this.maxPage = Math.max(this.maxPage, page.length);
        await Promise.resolve();
        yield page;
        next += limit;
      }
    }
  }

  it('enumerates 200 000 containers in order, materialising one page at a time', async () => {
    const api = new GeneratedAccounts();
    let count = 0;
    let last = '';
    let outOfOrder = 0;
    for await (const page of enumerateContainers(api, { include: 'all' }, { pageSize: 500 })) {
      for (const c of page) {
        const key = `${c.account}/${c.container}`;
        if (key <= last) outOfOrder += 1;
        last = key;
        count += 1;
      }
    }
    expect(count).toBe(200_000);
    expect(outOfOrder).toBe(0);
    expect(api.maxPage).toBe(500);
  });

  it('pulls names lazily: a consumer that stops early costs at most one page more', async () => {
    const api = new GeneratedAccounts();
    let count = 0;
    pages: for await (const page of enumerateContainers(api, { include: 'all' }, { pageSize: 500 })) {
      for (const _c of page) if (++count === 12_345) break pages;
    }
    expect(api.materialised).toBeLessThanOrEqual(12_345 + 500);
  });
});
