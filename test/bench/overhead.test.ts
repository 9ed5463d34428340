// The overhead phase's two dispatchers (bench/overhead.ts): what the recorder kept is what the
// replay answers, byte for byte, without a socket; a request never recorded fails loudly.
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingDispatcher, ReplayDispatcher } from '../../bench/overhead.js';
import { OioHttp } from '../../src/oio/http.js';
import { startFakeHttp, type FakeHttpServer } from '../helpers/fake-http.js';

let server: FakeHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the overhead phase dispatchers', () => {
  it('replay, without a socket, exactly the answers recorded through a real Pool', async () => {
    server = await startFakeHttp({ 'GET /v3.0/NS/reference/show': [{ json: { srv: [1] } }, { json: { srv: [2] } }], 'POST /v3.0/NS/admin/has': { status: 404, json: { status: 431, message: 'no base' } } });
    const recorder = new RecordingDispatcher(new Pool(server.url));
    const recording = new OioHttp({ url: server.url, dispatcher: recorder, retries: 0 });
    const show = (ref: string) => ({ method: 'GET' as const, path: '/v3.0/NS/reference/show', query: { ref }, route: 'reference/show', idempotent: true });
    expect((await recording.request(show('a'))).json).toEqual({ srv: [1] });
    expect((await recording.request(show('b'))).json).toEqual({ srv: [2] });
    await expect(recording.request({ method: 'POST', path: '/v3.0/NS/admin/has', route: 'admin/has', idempotent: false })).rejects.toMatchObject({ httpStatus: 404, oioStatus: 431 });
    await recorder.close();
    await server.close();
    server = undefined;

    const replay = new OioHttp({ url: 'http://127.0.0.1:1', dispatcher: new ReplayDispatcher(recorder.answers), retries: 0 });
    // The origin is part of the key: replay against the recorded one.
    const replayed = new OioHttp({ url: recording.origin, dispatcher: new ReplayDispatcher(recorder.answers), retries: 0 });
    expect((await replayed.request(show('b'))).json).toEqual({ srv: [2] });
    expect((await replayed.request(show('a'))).json).toEqual({ srv: [1] });
    await expect(replayed.request({ method: 'POST', path: '/v3.0/NS/admin/has', route: 'admin/has', idempotent: false })).rejects.toMatchObject({ httpStatus: 404, oioStatus: 431 });
    await expect(replayed.request(show('never-recorded'))).rejects.toThrow(/no recorded answer for GET .*ref=never-recorded/);
    await expect(replay.request(show('a'))).rejects.toThrow(/no recorded answer/);
  });
});
