// The simulator's meta2 services speak the native protocol on their own addresses, with the
// statuses, texts and traps of oio-native-protocol.md: 431 for a missing base or a lower-case
// CID, 511 then a rename for a corrupt file, any non-empty flag value is true, garbage closes the
// connection without a reply; and the services' faults apply as on the HTTP routes.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, paramValue, type NativeParam } from '../../src/native/der.js';
import { FrameReader, frame } from '../../src/native/frame.js';
import { NativeClient } from '../../src/native/client.js';
import { cidFromName } from '../../src/oio/cid.js';
import { OioBadAnswerError, OioTimeoutError, OioUnreachableError } from '../../src/oio/errors.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { failure } from '../helpers/failure.js';
import { freeServiceIds } from '../helpers/free-ports.js';
import { waitFor } from './helpers.js';

const CID = cidFromName('acct', 'ct');
let sim: Simulator | undefined;
let client: NativeClient | undefined;

afterEach(async () => {
  await client?.close();
  await sim?.close();
  sim = undefined;
  client = undefined;
});

async function start(peers?: string[]): Promise<{ sim: Simulator; peers: string[]; client: NativeClient }> {
  const ids = peers ?? await freeServiceIds(3);
  sim = await startSimulator({
    native: true,
    syncDelayMs: 10,
    scenario: { services: ids, containers: [{ account: 'acct', name: 'ct', peers: ids, master: ids[0]! }] },
  });
  client = new NativeClient({ namespace: 'OPENIO', connectTimeoutMs: 1000, requestTimeoutMs: 1000, maxFrameBytes: 1 << 20, connectionsPerService: 2 });
  return { sim, peers: ids, client };
}

/** Sends hand-made frames on a raw socket; resolves with the replies and whether it was closed. */
function raw(peer: string, frames: Buffer[], expectReplies: number): Promise<{ replies: ReturnType<typeof decodeMessage>[]; closed: boolean }> {
  const [host, port] = [peer.split(':')[0] as string, Number(peer.split(':')[1])];
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const reader = new FrameReader(1 << 20);
    const replies: ReturnType<typeof decodeMessage>[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no answer in 2 s')); }, 2000);
    const done = (closed: boolean): void => { clearTimeout(timer); socket.destroy(); resolve({ replies, closed }); };
    socket.on('data', (chunk) => {
      for (const f of reader.push(chunk)) replies.push(decodeMessage(f));
      if (replies.length === expectReplies && expectReplies > 0) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => undefined);
    socket.write(Buffer.concat(frames));
  });
}

function request(name: string, params: Record<string, string>): Buffer {
  const list: NativeParam[] = Object.entries(params).map(([k, v]) => ({ name: k, value: Buffer.from(v, 'latin1') }));
  return frame(encodeMessage({ id: `t-${name}`, name, params: list }));
}

const base = (cid = CID): Record<string, string> => ({ NS: 'OPENIO', BNAME: `${cid}.1`, BTYPE: 'meta2' });
const status = (m: ReturnType<typeof decodeMessage>): string => `${paramValue(m, 'S')?.toString()} ${paramValue(m, 'MSG')?.toString()}`;

describe('simulated meta2 native port', () => {
  it('answers a healthy replica: DB_HAS path:mtime, DB_PGET LOCAL every admin row as strings in strcmp order, DB_STATUS MASTER / 303', async () => {
    const { peers, client: c } = await start();
    const has = await c.has(peers[1] as string, CID);
    expect(has.status).toBe(200);
    expect(JSON.parse(has.body?.toString() ?? '')).toMatch(new RegExp(`/${CID}\\.1\\.meta2:\\d+$`));
    const pget = await c.pget(peers[1] as string, CID);
    expect([pget.status, pget.message]).toEqual([200, 'OK']);
    const table = JSON.parse(pget.body?.toString() ?? '') as Record<string, unknown>;
    expect(Object.keys(table)).toEqual([...Object.keys(table)].sort());
    expect(Object.values(table).every((v) => typeof v === 'string')).toBe(true);
    expect(table['sys.m2.ctime']).toMatch(/^\d{16}$/);
    expect(await c.status(peers[0] as string, CID)).toEqual({ status: 200, message: 'MASTER' });
    expect(await c.status(peers[2] as string, CID)).toEqual({ status: 303, message: peers[0] });
  });

  it('answers 431 for a lower-case CID, a missing .1 and a container the service does not host', async () => {
    const { peers } = await start();
    const peer = peers[0] as string;
    const other = cidFromName('acct', 'other');
    const { replies } = await raw(peer, [
      request('DB_PGET', { ...base(CID.toLowerCase()), LOCAL: '1' }),
      request('DB_HAS', { ...base(), BNAME: CID }),
      request('DB_HAS', base(other)),
    ], 3);
    expect(replies.map(status)).toEqual([
      '431 sqlite3_open error: (errno=2 No such file or directory) (rc=14) SQLITE_CANTOPEN',
      '431 Container not found : (2) No such file or directory',
      '431 Container not found : (2) No such file or directory',
    ]);
    expect(replies[0]?.id).toBe('t-DB_PGET');
    expect(replies[0]?.name).toBe('RP');
  });

  it('reads LOCAL=0 as LOCAL (any non-empty value is true): no election, no base created', async () => {
    const { sim: s, peers } = await start();
    for (const peer of peers) s.inject({ kind: 'missing-base', account: 'acct', container: 'ct', peer });
    const local0 = await raw(peers[0] as string, [request('DB_PGET', { ...base(), LOCAL: '0' })], 1);
    expect(status(local0.replies[0] as ReturnType<typeof decodeMessage>)).toMatch(/^431 /);
    expect(s.truth(CID)?.replicas.map((r) => r.base)).toEqual(['missing', 'missing', 'missing']);
    // Without the field, the read goes through the election, which creates empty bases.
    const election = await raw(peers[0] as string, [request('DB_PGET', base())], 1);
    expect(status(election.replies[0] as ReturnType<typeof decodeMessage>)).toBe('200 OK');
    expect(s.truth(CID)?.replicas.map((r) => r.base)).toEqual(['ok', 'ok', 'ok']);
  });

  it('answers 404 to an unknown request, 400 to a missing field, 453 to another base type, 200 to REQ_PING', async () => {
    const { peers } = await start();
    const { replies } = await raw(peers[0] as string, [
      request('DB_REMOVE', base()),
      request('DB_HAS', { BNAME: `${CID}.1`, BTYPE: 'meta2' }),
      request('DB_HAS', { ...base(), BTYPE: 'meta1' }),
      request('DB_HAS', { ...base(), NS: 'WRONGNS' }),
      request('REQ_PING', {}),
    ], 5);
    expect(replies.map(status)).toEqual(['404 No handler found', "400 Missing 'NS'", '453 Service type [meta1] not managed', '200 OK', '200 OK']);
    expect(replies[4]?.body?.toString()).toBe('OK\r\n');
  });

  it('closes the connection without a reply on garbage and on an oversized frame', async () => {
    const { peers } = await start();
    expect(await raw(peers[0] as string, [Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5])], 0)).toEqual({ replies: [], closed: true });
    expect(await raw(peers[0] as string, [Buffer.from([0x7f, 0xff, 0xff, 0xff])], 0)).toEqual({ replies: [], closed: true });
  });

  it('a corrupt file: DB_HAS 200, DB_PGET 511 and the file renamed (DB_HAS 431), DB_STATUS restores it from the master', async () => {
    const { sim: s, peers, client: c } = await start();
    const slave = peers[1] as string;
    s.inject({ kind: 'corrupt-base', account: 'acct', container: 'ct', peer: slave });
    expect((await c.has(slave, CID)).status).toBe(200);
    expect(await c.pget(slave, CID)).toEqual({ status: 511, message: 'invalid database file: (26) SQLITE_NOTADB' });
    expect((await c.has(slave, CID)).status).toBe(431);
    expect((await c.pget(slave, CID)).status).toBe(431);
    expect((await c.status(slave, CID)).status).toBe(303);
    await waitFor(() => s.truth(CID)?.replicas[1]?.base === 'ok');
    expect((await c.pget(slave, CID)).status).toBe(200);
  });

  it('a removed base stays missing after DB_STATUS (no restore)', async () => {
    const { sim: s, peers, client: c } = await start();
    s.inject({ kind: 'missing-base', account: 'acct', container: 'ct', peer: peers[2] as string });
    expect((await c.pget(peers[2] as string, CID)).status).toBe(431);
    expect((await c.status(peers[2] as string, CID)).status).toBe(303);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.truth(CID)?.replicas[2]?.base).toBe('missing');
  });

  it('applies the services faults: down is unreachable, error-burst 503, malformed a bad reply, slow a timeout', async () => {
    const { sim: s, peers, client: c } = await start();
    const [a, b, d] = peers as [string, string, string];
    s.inject({ kind: 'down', service: a });
    expect(await failure(c.has(a, CID))).toBeInstanceOf(OioUnreachableError);
    s.inject({ kind: 'up', service: a });
    expect((await c.has(a, CID)).status).toBe(200);
    s.inject({ kind: 'error-burst', service: b, count: 1 });
    expect(await c.has(b, CID)).toEqual({ status: 503, message: 'Service unavailable' });
    expect((await c.has(b, CID)).status).toBe(200);
    s.inject({ kind: 'malformed-json', service: d, count: 1 });
    expect(await failure(c.pget(d, CID))).toBeInstanceOf(OioBadAnswerError);
    expect((await c.pget(d, CID)).status).toBe(200);
    s.inject({ kind: 'slow', service: d, ms: 3000 });
    const started = Date.now();
    expect(await failure(c.has(d, CID))).toBeInstanceOf(OioTimeoutError);
    expect(Date.now() - started).toBeLessThan(2900);
    expect(s.stats().byRoute['native/DB_HAS']).toBe(4); // the reset connection never reached a handler
  });
});
