// Bad input at the HTTP edge: the proxy and account clients fed malformed, truncated, oversized
// and wrongly-typed answers by a real server. Every call must end, in bounded time, either in a
// value of its declared type or in a typed OioError with a code; never another exception.
// Also: odd container names through the CLI target parser, the query encoding (the server
// decodes acct/ref to exactly the input) and cidFromName against an independent sha256.
import { webcrypto } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContainerName } from '../../src/cli/target.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { AccountClient } from '../../src/oio/account-client.js';
import { cidFromName } from '../../src/oio/cid.js';
import { OioError } from '../../src/oio/errors.js';
import { OioHttp } from '../../src/oio/http.js';
import { ProxyClient } from '../../src/oio/proxy-client.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { startAnswerServer, type AnswerServer, type Delivery, type ScriptedAnswer } from './answer-server.js';

const MAX_BYTES = 4096;
/** Far above any legitimate call here (timeouts 300 ms, retry waits ≤ 10 ms): reaching it is a hang. */
const HANG_MS = 5_000;
const PEERS = ['127.0.0.1:6131', '127.0.0.1:6132'];
const REF: ContainerRef = { cid: cidFromName('acct', 'ct'), account: 'acct', container: 'ct' };

let server: AnswerServer;
let proxy: ProxyClient;
let accounts: AccountClient;

beforeAll(async () => {
  server = await startAnswerServer();
  const http = {
    url: server.url,
    headersTimeoutMs: 300,
    bodyTimeoutMs: 300,
    connectTimeoutMs: 300,
    maxResponseBytes: MAX_BYTES,
    retries: 1,
    retryBaseMs: 1,
    retryMaxDelayMs: 10,
  };
  proxy = new ProxyClient({ http: new OioHttp(http), namespace: 'OPENIO' });
  accounts = new AccountClient({ http: new OioHttp(http) });
});

afterAll(async () => {
  await proxy.close();
  await accounts.close();
  await server.close();
});

// ---- what the server may answer -------------------------------------------------------------

const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
const anyJson = fc.jsonValue({ maxDepth: 3 });
const peerKey = fc.oneof(fc.constantFrom(...PEERS), fc.string({ maxLength: 12 }));

/** Shapes the routes expect, with every field free to be of the wrong type. */
const shaped = fc.oneof(
  // per-peer envelope
  fc.dictionary(peerKey, fc.oneof(
    anyJson,
    fc.record({ status: fc.oneof(anyJson, fc.record({ status: fc.oneof(fc.integer(), anyJson), message: anyJson })), body: anyJson }, { requiredKeys: [] }),
    fc.record({
      status: fc.record({ status: fc.integer({ min: 0, max: 600 }), message: fc.string() }),
      body: fc.oneof(anyJson, fc.record({ local: anyJson, master: anyJson, '#': anyJson, log: anyJson }, { requiredKeys: [] }), anyJson.map((v) => JSON.stringify(v))),
    }),
  ), { maxKeys: 4 }),
  // admin table
  fc.record({ properties: fc.oneof(anyJson, fc.dictionary(fc.string(), anyJson, { maxKeys: 4 })), system: fc.oneof(anyJson, fc.dictionary(fc.string(), anyJson, { maxKeys: 4 })) }, { requiredKeys: [] }),
  // reference/show
  fc.record({ srv: fc.oneof(anyJson, fc.array(fc.record({ type: fc.oneof(fc.constant('meta2'), anyJson), host: fc.oneof(fc.string(), anyJson) }, { requiredKeys: [] }), { maxLength: 4 })) }, { requiredKeys: [] }),
  // conscience/list
  fc.array(fc.oneof(anyJson, fc.record({ addr: fc.oneof(fc.string(), anyJson), score: fc.oneof(fc.integer(), anyJson), tags: fc.oneof(anyJson, fc.dictionary(fc.string(), anyJson, { maxKeys: 3 })) }, { requiredKeys: [] })), { maxLength: 4 }),
  // account listings (both generations of the service)
  fc.record({
    listing: fc.oneof(anyJson, fc.array(fc.oneof(anyJson, fc.tuple(fc.oneof(fc.string(), anyJson), anyJson, anyJson, anyJson, anyJson), fc.record({ id: fc.oneof(fc.string(), anyJson) })), { maxLength: 5 })),
    truncated: anyJson,
    next_marker: fc.oneof(fc.string(), anyJson),
  }, { requiredKeys: [] }),
  // an oio error body
  fc.record({ status: fc.oneof(fc.integer(), anyJson), message: fc.oneof(fc.string(), anyJson) }, { requiredKeys: [] }),
  anyJson,
);

const body: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: shaped.map(json), weight: 6 },
  // truncated JSON text
  { arbitrary: fc.tuple(shaped, fc.double({ min: 0, max: 1, noNaN: true })).map(([v, cut]) => { const t = json(v); return t.subarray(0, Math.floor(t.length * cut)); }), weight: 2 },
  // above maxResponseBytes, as valid JSON and as garbage
  { arbitrary: fc.integer({ min: MAX_BYTES + 1, max: MAX_BYTES * 4 }).map((n) => json({ [PEERS[0] as string]: { status: { status: 200, message: 'OK' }, body: 'x'.repeat(n) } })), weight: 1 },
  { arbitrary: fc.integer({ min: MAX_BYTES + 1, max: MAX_BYTES * 4 }).map((n) => Buffer.alloc(n, 0x5b)), weight: 1 },
  // not UTF-8 at all
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
  { arbitrary: fc.constant(new Uint8Array()), weight: 1 },
);

const headerText = fc.string({ unit: fc.constantFrom(...'0123456789 abcdefGMT,:-/'.split('')), maxLength: 30 });
const answer: fc.Arbitrary<ScriptedAnswer> = fc.record({
  status: fc.oneof(
    { arbitrary: fc.constantFrom(200, 200, 201, 204, 301, 303, 400, 404, 431, 500, 503), weight: 4 },
    { arbitrary: fc.integer({ min: 200, max: 599 }), weight: 1 },
  ),
  headers: fc.record({
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/octet-stream; charset=latin1'),
    'retry-after': fc.oneof(fc.constantFrom('0', '1', '99999', '-3', 'Wed, 21 Oct 2099 07:28:00 GMT', 'soon'), headerText),
  }, { requiredKeys: [] }),
  body,
  delivery: fc.oneof(
    { arbitrary: fc.constant<Delivery>('whole'), weight: 12 },
    { arbitrary: fc.constantFrom<Delivery>('chunked', 'cut', 'reset'), weight: 3 },
  ),
});

// ---- the calls, and what each must return ----------------------------------------------------

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrMap = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isStr);
const isNullableStr = (v: unknown): boolean => v === null || isStr(v);

function isPeerAnswers(v: unknown, bodyOk: (b: unknown) => boolean): boolean {
  return Array.isArray(v) && v.every((a: Record<string, unknown>) =>
    isStr(a['peer']) && Number.isInteger(a['status']) && isStr(a['message']) && bodyOk(a['body']));
}

const isDebugBody = (b: unknown): boolean => {
  if (b === null) return true;
  const d = b as Record<string, unknown>;
  return isNullableStr(d['state']) && isNullableStr(d['masterUrl'])
    && (d['pipefrom'] === null || typeof d['pipefrom'] === 'number')
    && Array.isArray(d['log']) && (d['log'] as unknown[]).every(isStr);
};

async function collect(it: AsyncIterable<string | readonly string[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of it) {
    out.push(...(typeof item === 'string' ? [item] : item));
    if (out.length > 10_000) throw new Error('listing does not end');
  }
  return out;
}

interface Call {
  readonly name: string;
  readonly run: () => Promise<unknown>;
  readonly valid: (v: unknown) => boolean;
}

const CALLS: readonly Call[] = [
  { name: 'locate', run: () => proxy.locate(REF), valid: (v) => Array.isArray(v) && v.every((p) => isStr(p) && p !== '') },
  { name: 'getProperties', run: () => proxy.getProperties(REF, PEERS[0] as string), valid: (v) => isStrMap((v as Record<string, unknown>)['properties']) && isStrMap((v as Record<string, unknown>)['system']) },
  { name: 'has', run: () => proxy.has(REF, PEERS), valid: (v) => isPeerAnswers(v, isStr) },
  { name: 'status', run: () => proxy.status({ cid: REF.cid }, PEERS), valid: (v) => isPeerAnswers(v, isStr) },
  { name: 'debug', run: () => proxy.debug(REF, PEERS), valid: (v) => isPeerAnswers(v, isDebugBody) },
  { name: 'sync', run: () => proxy.sync(REF, [PEERS[1] as string]), valid: (v) => isPeerAnswers(v, isStr) },
  { name: 'leave', run: () => proxy.leave(REF, [PEERS[0] as string]), valid: (v) => isPeerAnswers(v, isStr) },
  { name: 'setProperties', run: () => proxy.setProperties(REF, { 'sys.m2.ctime': '1700000000000000' }), valid: (v) => v === undefined },
  {
    name: 'listServices',
    run: () => proxy.listServices('meta2'),
    valid: (v) => Array.isArray(v) && v.every((s: Record<string, unknown>) => isStr(s['addr']) && typeof s['score'] === 'number' && typeof s['up'] === 'boolean'
      && typeof s['tags'] === 'object' && Object.values(s['tags'] as object).every((t) => ['string', 'number', 'boolean'].includes(typeof t))),
  },
  { name: 'listAccounts', run: () => collect(accounts.listAccounts({ limit: 3 })), valid: (v) => Array.isArray(v) && v.every(isStr) },
  { name: 'listContainers', run: () => collect(accounts.listContainers('acct', { limit: 3 })), valid: (v) => Array.isArray(v) && v.every(isStr) },
];

type Ending = { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'error'; readonly error: unknown } | { readonly kind: 'hang' };

async function settle(run: () => Promise<unknown>): Promise<Ending> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Ending>((resolve) => { timer = setTimeout(() => resolve({ kind: 'hang' }), HANG_MS); });
  try {
    return await Promise.race([run().then((value): Ending => ({ kind: 'value', value }), (error: unknown): Ending => ({ kind: 'error', error })), hang]);
  } finally {
    clearTimeout(timer);
  }
}

function describeEnding(call: string, e: Ending): string {
  if (e.kind === 'hang') return `${call} did not end within ${HANG_MS} ms`;
  if (e.kind === 'value') return `${call} returned a value of the wrong type: ${JSON.stringify(e.value)?.slice(0, 300)}`;
  const err = e.error as Error;
  return `${call} threw ${err?.constructor?.name}: ${err?.message}`;
}

function assertTyped(call: Call, e: Ending): void {
  const ok = e.kind === 'value'
    ? call.valid(e.value)
    : e.kind === 'error' && e.error instanceof OioError && typeof e.error.code === 'string' && e.error.code !== '' && e.error.route !== '';
  if (!ok) throw new Error(describeEnding(call.name, e));
}

describe('clients against arbitrary proxy answers', () => {
  it('every call ends in a value of its type or a typed OioError, never another exception or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(answer, fc.constantFrom(...CALLS), async (scripted, call) => {
        server.script(scripted);
        assertTyped(call, await settle(call.run));
      }),
      { numRuns: 300 },
    );
  });

  it('a 200 with well-formed JSON of the wrong shape or types is parsed or refused as OIO_BAD_ANSWER (or OIO_UNSUPPORTED_PROXY)', async () => {
    await fc.assert(
      fc.asyncProperty(shaped, fc.constantFrom(...CALLS), async (value, call) => {
        server.script({ status: 200, headers: {}, body: json(value), delivery: 'whole' });
        const e = await settle(call.run);
        assertTyped(call, e);
        // A reference/show without cid, or a per-peer answer for peers not asked: a 4.2.x proxy's signs.
        if (e.kind === 'error') expect(['OIO_BAD_ANSWER', 'OIO_UNSUPPORTED_PROXY']).toContain((e.error as OioError).code);
      }),
      { numRuns: 300 },
    );
  });

  it('an answer that never comes ends in OioTimeoutError, not a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CALLS), async (call) => {
        server.script({ status: 200, headers: {}, body: new Uint8Array(), delivery: 'stall' });
        const e = await settle(call.run);
        assertTyped(call, e);
        expect(e.kind === 'error' && (e.error as OioError).code).toBe('OIO_TIMEOUT');
      }),
      { numRuns: 3 },
    );
  });

  it('a body above maxResponseBytes is refused as OIO_ANSWER_TOO_LARGE whatever the status', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(200, 404, 500, 503), fc.integer({ min: MAX_BYTES + 1, max: MAX_BYTES * 8 }), fc.constantFrom<Delivery>('whole', 'chunked'), fc.constantFrom(...CALLS), async (status, size, delivery, call) => {
        server.script({ status, headers: {}, body: Buffer.alloc(size, 0x20), delivery });
        const e = await settle(call.run);
        assertTyped(call, e);
        expect(e.kind === 'error' && (e.error as OioError).code).toBe('OIO_ANSWER_TOO_LARGE');
      }),
      { numRuns: 30 },
    );
  });
});

// ---- odd container names ----------------------------------------------------------------------

/** Valid Unicode (no lone surrogates: names come from UTF-8 listings), control chars, slashes, long. */
const nameChars = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }), weight: 3 },
  { arbitrary: fc.string({ unit: fc.constantFrom('/', '%', '+', '&', '=', '?', '#', ' ', '\0', '\n', '\u00e9', '\u{1F600}', '\u200b', '\ufeff'), minLength: 1, maxLength: 12 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 3000 }), weight: 1 },
);
const container = nameChars;
const account = nameChars.filter((s) => !s.includes('/'));

async function referenceCid(a: string, c: string): Promise<string> {
  const enc = new TextEncoder();
  const bytes = new Uint8Array([...enc.encode(a), 0, ...enc.encode(c)]);
  const digest = new Uint8Array(await webcrypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

describe('odd container names', () => {
  it('ACCOUNT/CONTAINER splits at the first slash into exactly the parts given, with their CID', () => {
    fc.assert(
      fc.property(account, container, (a, c) => {
        expect(parseContainerName('check', `${a}/${c}`)).toEqual({ account: a, container: c, cid: cidFromName(a, c) });
      }),
      { numRuns: 200 },
    );
  });

  it('any other text is either split losslessly into two non-empty parts or refused with a UsageError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: fc.constantFrom('/', 'a', '\0', ' '), maxLength: 8 })), (text) => {
        let parsed: ReturnType<typeof parseContainerName> | undefined;
        try {
          parsed = parseContainerName('check', text);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect(text.indexOf('/') <= 0 || text.endsWith('/') || !text.includes('/')).toBe(true);
          return;
        }
        expect(parsed.account).not.toBe('');
        expect(parsed.container).not.toBe('');
        expect(parsed.account.includes('/')).toBe(false);
        expect(`${parsed.account}/${parsed.container}`).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('the query string carries acct and ref so that the server decodes exactly the names given', async () => {
    await fc.assert(
      fc.asyncProperty(account, container, async (a, c) => {
        server.script({ status: 200, headers: {}, body: json({ [PEERS[0] as string]: { status: { status: 200, message: 'OK' }, body: '' } }), delivery: 'whole' });
        const answers = await proxy.has({ cid: cidFromName(a, c), account: a, container: c }, [PEERS[0] as string]);
        expect(answers).toHaveLength(1);
        expect(server.queries).toHaveLength(1);
        const q = server.queries[0] as URLSearchParams;
        expect(q.get('acct')).toBe(a);
        expect(q.get('ref')).toBe(c);
        expect(q.get('service_id')).toBe(PEERS[0]);
      }),
      { numRuns: 150 },
    );
  });

  it('cidFromName is the uppercase hex sha256 of UTF-8 account, NUL, UTF-8 container', async () => {
    await fc.assert(
      fc.asyncProperty(account, container, async (a, c) => {
        const cid = cidFromName(a, c);
        expect(cid).toMatch(/^[0-9A-F]{64}$/);
        expect(cid).toBe(await referenceCid(a, c));
      }),
      { numRuns: 200 },
    );
  });
});
