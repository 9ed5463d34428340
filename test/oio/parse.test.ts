// The edge parsers: real answers (oio-api.md, oio-real-behaviour.md) in, typed values out, and
// every wrong shape refused with an OioBadAnswerError saying what was wrong and where.
import { describe, expect, it } from 'vitest';
import { OioBadAnswerError } from '../../src/oio/errors.js';
import {
  debugBody,
  parseAccountPage,
  parseAdminTable,
  parseContainerPage,
  parsePeerAnswers,
  parseReferencePeers,
  parseServices,
  stringBody,
} from '../../src/oio/parse.js';

describe('parsePeerAnswers', () => {
  it('keeps the peers in the order of the JSON keys', () => {
    const json = JSON.parse(
      '{"127.0.0.1:6133":{"status":{"status":303,"message":"127.0.0.1:6132"},"body":""},' +
        '"127.0.0.1:6131":{"status":{"status":303,"message":"127.0.0.1:6132"},"body":""},' +
        '"127.0.0.1:6132":{"status":{"status":200,"message":"OK"},"body":""}}',
    ) as unknown;
    const answers = parsePeerAnswers('admin/status', json, stringBody);
    expect(answers.map((a) => a.peer)).toEqual(['127.0.0.1:6133', '127.0.0.1:6131', '127.0.0.1:6132']);
    expect(answers[2]).toEqual({ peer: '127.0.0.1:6132', status: 200, message: 'OK', body: '' });
    expect(answers[0]?.message).toBe('127.0.0.1:6132');
  });

  it('reads string bodies, null bodies and network codes', () => {
    const answers = parsePeerAnswers(
      'admin/has',
      {
        'a:1': { status: { status: 200, message: 'OK' }, body: '/var/lib/oio/x.1.meta2:1795580730' },
        'b:2': { status: { status: 2, message: 'b:2: [errno=111] Connection refused' }, body: null },
        'c:3': { status: { status: 431, message: 'Container not found' } },
      },
      stringBody,
    );
    expect(answers.map((a) => [a.status, a.body])).toEqual([
      [200, '/var/lib/oio/x.1.meta2:1795580730'],
      [2, ''],
      [431, ''],
    ]);
  });

  it('refuses an entry without a numeric status, naming the route and the peer', () => {
    const bad = { '127.0.0.1:6131': { status: { status: '200', message: 'OK' }, body: '' } };
    expect(() => parsePeerAnswers('admin/has', bad, stringBody)).toThrow(OioBadAnswerError);
    expect(() => parsePeerAnswers('admin/has', bad, stringBody)).toThrow(
      'admin/has: peer 127.0.0.1:6131 entry has no numeric status',
    );
  });

  it('refuses an array or a non-object entry', () => {
    expect(() => parsePeerAnswers('admin/sync', [], stringBody)).toThrow(/expected an object keyed by peer/);
    expect(() => parsePeerAnswers('admin/sync', { 'a:1': 'OK' }, stringBody)).toThrow(/peer a:1 entry is a string/);
    expect(() =>
      parsePeerAnswers('admin/sync', { 'a:1': { status: { status: 200, message: 5 }, body: '' } }, stringBody),
    ).toThrow(/non-string message/);
  });
});

describe('debugBody', () => {
  const slave = {
    local: { id: 12, url: '127.0.0.1:6131', state: 'SLAVE' },
    master: { id: 11, url: '127.0.0.1:6132' },
    base: { name: 'X.1', type: 'meta2', zk: '/hc/ns/OPENIO/el/meta2/AB/CD/ABCD' },
    '#': { refcount: 1, pipefrom: 0, getvers: 0 },
    peers: ['127.0.0.1:6132', '127.0.0.1:6133'],
    log: ['1561550012345:SYNCING:SYNC_OK:SLAVE', '1561550011000:SLAVE:SYNC_REQ:SYNCING'],
  };

  it('reduces a slave description to state, master URL, pipefrom and log', () => {
    expect(debugBody(slave, 'admin/debug', '127.0.0.1:6131')).toEqual({
      state: 'SLAVE',
      masterUrl: '127.0.0.1:6132',
      pipefrom: 0,
      log: slave.log,
    });
  });

  it('gives a master its own URL (the proxy sends master.url null and master.id = local.id)', () => {
    const master = { local: { id: 11, url: '127.0.0.1:6132', state: 'MASTER' }, master: { id: 11, url: null }, '#': { pipefrom: 1 } };
    expect(debugBody(master, 'admin/debug', '127.0.0.1:6132')).toEqual({
      state: 'MASTER',
      masterUrl: '127.0.0.1:6132',
      pipefrom: 1,
      log: [],
    });
  });

  it('reads a peer that left the election (ids null) as no master', () => {
    const none = { local: { id: null, url: '127.0.0.1:6131', state: 'NONE' }, master: { id: null, url: null }, peers: null };
    expect(debugBody(none, 'admin/debug', 'p')).toEqual({ state: 'NONE', masterUrl: null, pipefrom: null, log: [] });
  });

  it('gives null for no election member (null, empty string) and parses a body sent as a JSON string', () => {
    expect(debugBody(null, 'admin/debug', 'p')).toBeNull();
    expect(debugBody('', 'admin/debug', 'p')).toBeNull();
    expect(debugBody(JSON.stringify(slave), 'admin/debug', 'p')?.state).toBe('SLAVE');
  });

  it('refuses wrongly typed fields', () => {
    expect(() => debugBody({ local: { state: 3 } }, 'admin/debug', 'p:1')).toThrow(/peer p:1 debug "local.state" is a number/);
    expect(() => debugBody({ log: [1] }, 'admin/debug', 'p:1')).toThrow(OioBadAnswerError);
    expect(() => debugBody('{nope', 'admin/debug', 'p:1')).toThrow(/not JSON/);
    expect(() => debugBody([1], 'admin/debug', 'p:1')).toThrow(/is an array/);
  });
});

describe('parseAdminTable', () => {
  it('returns both maps', () => {
    const table = parseAdminTable('admin/get_properties', {
      properties: { color: 'blue' },
      system: { 'sys.m2.ctime': '1795580730589743', 'sys.peers': 'a,b,c' },
    });
    expect(table).toEqual({ properties: { color: 'blue' }, system: { 'sys.m2.ctime': '1795580730589743', 'sys.peers': 'a,b,c' } });
  });

  it('passes empty maps up as they are', () => {
    expect(parseAdminTable('admin/get_properties', { properties: {}, system: {} })).toEqual({ properties: {}, system: {} });
  });

  it('refuses non-string values and non-object maps', () => {
    expect(() => parseAdminTable('admin/get_properties', { properties: {}, system: { 'sys.m2.ctime': 17 } }, 'p:1')).toThrow(
      'admin/get_properties: peer p:1 "system.sys.m2.ctime" is a number, not a string',
    );
    expect(() => parseAdminTable('admin/get_properties', { properties: [], system: {} })).toThrow(/"properties" is an array/);
    expect(() => parseAdminTable('admin/get_properties', 'x')).toThrow(OioBadAnswerError);
  });
});

describe('parseReferencePeers', () => {
  it('keeps meta2 srv entries only, splits comma lists, trims and deduplicates', () => {
    const peers = parseReferencePeers('reference/show', {
      dir: [{ seq: 1, type: 'meta1', host: '127.0.0.1:6121', args: '' }],
      srv: [
        { seq: 1, type: 'meta2', host: '127.0.0.1:6133', args: '' },
        { seq: 1, type: 'meta2', host: '127.0.0.1:6131, 127.0.0.1:6132,127.0.0.1:6133', args: '' },
        { seq: 1, type: 'sqlx', host: '127.0.0.1:6140', args: '' },
      ],
      cid: 'X',
      account: 'ACCT',
      name: 'CT1',
    });
    expect(peers).toEqual(['127.0.0.1:6133', '127.0.0.1:6131', '127.0.0.1:6132']);
  });

  it('gives no peers when srv is absent, and refuses entries without host', () => {
    expect(parseReferencePeers('reference/show', { dir: [] })).toEqual([]);
    expect(() => parseReferencePeers('reference/show', { srv: [{ type: 'meta2' }] })).toThrow(/srv\[0\] has no string "host"/);
    expect(() => parseReferencePeers('reference/show', { srv: {} })).toThrow('reference/show: "srv" is an object, not an array');
  });
});

describe('parseServices', () => {
  it('reads addr, score, tags and tag.up', () => {
    const services = parseServices('conscience/list', [
      { addr: '127.0.0.1:6131', score: 97, tags: { 'tag.up': true, 'tag.vol': '/var/lib/oio/meta2-1', 'stat.cpu': 97.5 } },
      { addr: '127.0.0.1:6132', score: 0, tags: { 'tag.up': false, 'tag.weird': { a: 1 } } },
      { addr: '127.0.0.1:6133', score: 50 },
    ]);
    expect(services).toEqual([
      { addr: '127.0.0.1:6131', score: 97, up: true, tags: { 'tag.up': true, 'tag.vol': '/var/lib/oio/meta2-1', 'stat.cpu': 97.5 } },
      { addr: '127.0.0.1:6132', score: 0, up: false, tags: { 'tag.up': false } },
      { addr: '127.0.0.1:6133', score: 50, up: false, tags: {} },
    ]);
  });

  it('refuses a non-array and entries without addr or score', () => {
    expect(() => parseServices('conscience/list', {})).toThrow(/expected an array/);
    expect(() => parseServices('conscience/list', [{ score: 1 }])).toThrow(/no string "addr"/);
    expect(() => parseServices('conscience/list', [{ addr: 'a:1', score: '1' }])).toThrow(/service a:1 has no numeric "score"/);
  });
});

describe('listing pages', () => {
  it('reads the master account listing with truncated and next_marker', () => {
    expect(parseAccountPage('account/list', { listing: [{ id: 'a' }, { id: 'b' }], truncated: true, next_marker: 'b' })).toEqual({
      names: ['a', 'b'],
      rawCount: 2,
      lastName: 'b',
      truncated: true,
      nextMarker: 'b',
    });
  });

  it('reads the old bare array of account names', () => {
    expect(parseAccountPage('account/list', ['myaccount', 'AUTH_demo'])).toEqual({
      names: ['myaccount', 'AUTH_demo'],
      rawCount: 2,
      whole: true,
      lastName: 'AUTH_demo',
    });
  });

  it('reads container entries and skips prefix entries, which still move the marker', () => {
    const page = parseContainerPage('account/containers', {
      id: 'myaccount',
      listing: [
        ['FVE0', 1, 111, 0, 1656577370.43],
        ['dir/', 0, 0, 1, 0],
      ],
      truncated: false,
    });
    expect(page).toEqual({ names: ['FVE0'], rawCount: 2, lastName: 'dir/', truncated: false });
  });

  it('refuses wrong listing shapes', () => {
    expect(() => parseAccountPage('account/list', { listing: [{ name: 'a' }] })).toThrow(/listing\[0\]/);
    expect(() => parseAccountPage('account/list', 'a')).toThrow(OioBadAnswerError);
    expect(() => parseContainerPage('account/containers', { listing: [{ name: 'a' }] })).toThrow(/listing\[0\] is not a \[name/);
    expect(() => parseContainerPage('account/containers', { id: 'x' })).toThrow('account/containers: "listing" is missing, not an array');
  });
});
