// The native client against scripted servers: bounded in every case (refused, silent, closing,
// hostile bytes), a small keep-alive pool per service that never exceeds its cap, and nothing
// but the three read requests ever reaches the wire.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parsePeerAddress } from '../../src/native/address.js';
import { NativeClient, type NativeClientOptions } from '../../src/native/client.js';
import { decodeMessage, encodeMessage, type NativeMessage } from '../../src/native/der.js';
import { FrameReader, frame } from '../../src/native/frame.js';
import { READ_REQUEST_NAMES, dbHas } from '../../src/native/requests.js';
import { OioError, OioBadAnswerError, OioTimeoutError, OioUnreachableError } from '../../src/oio/errors.js';
import { failure } from '../helpers/failure.js';
import { closedPortUrl } from '../helpers/fake-http.js';

const CID = 'AB'.repeat(32);
const OPTS: NativeClientOptions = { namespace: 'OPENIO', connectTimeoutMs: 500, requestTimeoutMs: 400, maxFrameBytes: 4096, connectionsPerService: 2 };

type Script = (request: NativeMessage, socket: Socket) => void;

interface Scripted {
  readonly peer: string;
  readonly received: NativeMessage[];
  connections: number;
  maxOpen: number;
  script: Script;
  close(): Promise<void>;
}

const servers: Scripted[] = [];
afterAll(async () => { await Promise.all(servers.map((s) => s.close())); });

function ok(request: NativeMessage, status = '200', body?: Buffer): Buffer {
  return frame(encodeMessage({ ...(request.id ? { id: request.id } : {}), name: 'RP', params: [{ name: 'S', value: Buffer.from(status) }, { name: 'MSG', value: Buffer.from('OK') }], ...(body ? { body } : {}) }));
}

async function scripted(script: Script): Promise<Scripted> {
  const sockets = new Set<Socket>();
  let open = 0;
  const state: Scripted = {
    peer: '',
    received: [],
    connections: 0,
    maxOpen: 0,
    script,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    state.connections++;
    state.maxOpen = Math.max(state.maxOpen, ++open);
    socket.on('close', () => { sockets.delete(socket); open--; });
    socket.on('error', () => undefined);
    const reader = new FrameReader(1 << 20);
    socket.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        const m = decodeMessage(f);
        state.received.push(m);
        state.script(m, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { peer: string }).peer = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(state);
  return state;
}

let client: NativeClient;
afterEach(async () => { await client?.close(); });

describe('NativeClient', () => {
  it('parses IP:PORT and [IPv6]:PORT service ids and refuses anything else', () => {
    expect(parsePeerAddress('10.0.0.1:6120')).toEqual({ host: '10.0.0.1', port: 6120 });
    expect(parsePeerAddress('[fd00::1]:6120')).toEqual({ host: 'fd00::1', port: 6120 });
    for (const bad of ['10.0.0.1', '10.0.0.1:0', '10.0.0.1:70000', 'a b:1', ':1', 'fd00::1:6120']) expect(parsePeerAddress(bad)).toBeUndefined();
  });

  it('keeps one connection alive for sequential requests and never opens more than connectionsPerService', async () => {
    const s = await scripted((m, socket) => setTimeout(() => socket.write(ok(m)), 5));
    client = new NativeClient(OPTS);
    for (let i = 0; i < 5; i++) expect((await client.has(s.peer, CID)).status).toBe(200);
    expect(s.connections).toBe(1);
    const all = await Promise.all(Array.from({ length: 12 }, () => client.has(s.peer, CID)));
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(s.maxOpen).toBeLessThanOrEqual(2);
    // Each reply matched its own request id.
    expect(new Set(s.received.map((m) => m.id)).size).toBe(17);
  });

  it('maps a refused port to unreachable and a silent server to a timeout within the deadline', async () => {
    client = new NativeClient(OPTS);
    const closed = new URL(await closedPortUrl());
    const refused = await failure(client.has(`127.0.0.1:${closed.port}`, CID));
    expect(refused).toBeInstanceOf(OioUnreachableError);
    expect(refused.route).toBe('native/DB_HAS');
    const silent = await scripted(() => undefined);
    const started = Date.now();
    expect(await failure(client.pget(silent.peer, CID))).toBeInstanceOf(OioTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('maps a connection closed before the reply to unreachable, and retries once on a stale kept-alive socket', async () => {
    const s = await scripted((_m, socket) => socket.destroy());
    client = new NativeClient(OPTS);
    expect(await failure(client.has(s.peer, CID))).toBeInstanceOf(OioUnreachableError);
    let calls = 0;
    const flaky = await scripted((m, socket) => { calls++; if (calls === 2) socket.destroy(); else socket.write(ok(m)); });
    expect((await client.has(flaky.peer, CID)).status).toBe(200);
    expect((await client.has(flaky.peer, CID)).status).toBe(200);
    expect(calls).toBe(3);
  });

  it('refuses an oversized frame, a reply id that is not ours and a status that is not a number', async () => {
    client = new NativeClient(OPTS);
    const big = await scripted((_m, socket) => socket.write(Buffer.from([0, 0, 0x20, 0])));
    expect((await failure(client.has(big.peer, CID))).message).toMatch(/above the 4096-byte cap/);
    const other = await scripted((m, socket) => socket.write(ok({ ...m, id: 'not-yours' })));
    expect(await failure(client.has(other.peer, CID))).toBeInstanceOf(OioBadAnswerError);
    const nan = await scripted((m, socket) => socket.write(ok(m, 'OK')));
    expect((await failure(client.has(nan.peer, CID))).message).toMatch(/not a number/);
  });

  it('any reply bytes end every call in a typed OioError or a reply, within the deadline', async () => {
    let answer: Buffer = Buffer.alloc(0);
    const s = await scripted((_m, socket) => socket.write(answer));
    client = new NativeClient({ ...OPTS, requestTimeoutMs: 200 });
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.uint8Array({ maxLength: 200 }).map((b) => frame(Buffer.from(b))),
        fc.tuple(fc.integer({ min: 1, max: 60 }), fc.constantFrom('200', '431', '511', '100')).map(([cut, st]) => {
          const full = ok({ id: 'x', params: [] }, st);
          return full.subarray(0, Math.min(full.length, cut));
        }),
      ),
      async (bytes) => {
        answer = bytes;
        const started = Date.now();
        try {
          await client.has(s.peer, CID);
        } catch (err) {
          expect(err).toBeInstanceOf(OioError);
        }
        expect(Date.now() - started).toBeLessThan(1500);
      },
    ), { numRuns: 60 });
  });

  it('puts nothing but DB_PGET (with LOCAL), DB_HAS and DB_STATUS on the wire, each with TO', async () => {
    const s = await scripted((m, socket) => socket.write(ok(m)));
    client = new NativeClient(OPTS);
    const methods = Object.getOwnPropertyNames(NativeClient.prototype).sort();
    expect(methods).toEqual(['call', 'close', 'constructor', 'has', 'pget', 'status']);
    await client.pget(s.peer, CID);
    await client.has(s.peer, CID);
    await client.status(s.peer, CID);
    // The private sender only takes what the request builders made: a forged request is refused.
    const call = (client as unknown as { call: (...a: unknown[]) => Promise<unknown> }).call.bind(client);
    await expect(call(s.peer, () => ({ name: 'DB_REMOVE', id: 'x' }), CID, {})).rejects.toThrow();
    await expect(call(s.peer, (t: Parameters<typeof dbHas>[0]) => ({ ...dbHas(t), name: 'DB_REMOVE' }), CID, {})).rejects.toThrow();
    expect(s.received.map((m) => m.name)).toEqual(['DB_PGET', 'DB_HAS', 'DB_STATUS']);
    for (const m of s.received) {
      expect(READ_REQUEST_NAMES).toContain(m.name);
      expect(m.params.some((p) => p.name === 'TO')).toBe(true);
    }
    expect(s.received[0]?.params.find((p) => p.name === 'LOCAL')?.value.toString()).toBe('1');
  });
});
