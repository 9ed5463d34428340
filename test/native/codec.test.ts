// The native codec against frames captured from a real meta2: requests built byte for byte as
// oio-sds builds them, replies read as the server wrote them, and every malformed shape refused
// with a reason (oio-native-protocol.md §1.2, §1.5).
import { describe, expect, it } from 'vitest';
import { NativeDecodeError, decodeMessage, encodeMessage, paramValue } from '../../src/native/der.js';
import { FrameReader, NativeFrameError, frame } from '../../src/native/frame.js';
import { dbPget, frameOf } from '../../src/native/requests.js';
import { CAPTURED_CID, PGET_REPLY_200, PGET_REPLY_431, PGET_REQUEST, STATUS_REPLY_303 } from './captured.js';

function only(bytes: Buffer): Buffer {
  const frames = new FrameReader(1 << 20).push(bytes);
  expect(frames).toHaveLength(1);
  return frames[0] as Buffer;
}

describe('native requests', () => {
  it('builds DB_PGET LOCAL byte-identical to the frame oio-sds sent', () => {
    const request = dbPget({ cid: CAPTURED_CID, namespace: 'OPENIO', timeoutMs: 5000, reqId: 'capture-pget-0001' });
    expect(frameOf(request).toString('hex')).toBe(PGET_REQUEST.toString('hex'));
  });

  it('upper-cases the CID (a lower-case BNAME addresses a missing file)', () => {
    const request = dbPget({ cid: CAPTURED_CID.toLowerCase(), namespace: 'OPENIO', timeoutMs: 5000, reqId: 'capture-pget-0001' });
    expect(frameOf(request).equals(PGET_REQUEST)).toBe(true);
  });
});

describe('native replies', () => {
  it('reads a 200 DB_PGET reply whose lengths use the long form at two levels', () => {
    const m = decodeMessage(only(PGET_REPLY_200));
    expect(m.id).toBe('capture-pget-0001');
    expect(m.name).toBe('RP');
    expect(paramValue(m, 'S')?.toString()).toBe('200');
    expect(paramValue(m, 'MSG')?.toString()).toBe('OK');
    const table = JSON.parse(m.body?.toString('utf8') ?? '') as Record<string, string>;
    expect(Object.keys(table)).toHaveLength(20);
    expect(table['sys.m2.ctime']).toBe('1796199674576920');
    expect(table['version:main.admin']).toBe('2:0');
  });

  it('reads a 431 reply and a 303 DB_STATUS reply without body', () => {
    const missing = decodeMessage(only(PGET_REPLY_431));
    expect(paramValue(missing, 'S')?.toString()).toBe('431');
    expect(paramValue(missing, 'MSG')?.toString()).toMatch(/SQLITE_CANTOPEN$/);
    const slave = decodeMessage(only(STATUS_REPLY_303));
    expect(paramValue(slave, 'S')?.toString()).toBe('303');
    expect(paramValue(slave, 'MSG')?.toString()).toBe('127.0.0.1:6132');
    expect(slave.body).toBeUndefined();
  });

  it('round-trips what it encodes, content always present', () => {
    const m = { id: 'x', name: 'RP', params: [{ name: 'S', value: Buffer.from('200') }], body: Buffer.alloc(300, 0x61) };
    expect(decodeMessage(encodeMessage(m))).toEqual(m);
    expect(decodeMessage(encodeMessage({ params: [] }))).toEqual({ params: [] });
  });
});

const bad: Array<[string, string]> = [
  ['empty', ''],
  ['not a SEQUENCE', '31 02 a3 00'],
  ['truncated length', '30'],
  ['length past the end', '30 05 a3 00'],
  ['indefinite length', '30 80 a3 00 00 00'],
  ['non-minimal length', '30 81 02 a3 00'],
  ['5-byte length', '30 85 00 00 00 00 02 a3 00'],
  ['trailing bytes', '30 02 a3 00 00'],
  ['no content', '30 03 81 01 41'],
  ['version present', '30 04 82 00 a3 00'],
  ['fields out of order', '30 05 a3 00 81 01 41'],
  ['repeated field', '30 06 81 01 41 81 01 42'],
  ['unknown tag', '30 04 85 00 a3 00'],
  ['Parameter not a SEQUENCE', '30 04 a3 02 31 00'],
  ['Parameter without value', '30 07 a3 05 30 03 80 01 53'],
  ['Parameter with an extra element', '30 0c a3 0a 30 08 80 01 53 81 01 31 81 00'],
  ['control character in a name', '30 05 80 01 0a a3 00'],
];

describe('the decoder refuses what the schema does not allow', () => {
  it.each(bad)('%s', (_what, hex) => {
    expect(() => decodeMessage(Buffer.from(hex.replace(/\s+/g, ''), 'hex'))).toThrow(NativeDecodeError);
  });

  it('refuses more parameters than its limit', () => {
    const params = Array.from({ length: 65 }, (_, i) => ({ name: `P${i}`, value: Buffer.from('1') }));
    expect(() => decodeMessage(encodeMessage({ params }))).toThrow(/more than 64 parameters/);
  });
});

describe('FrameReader', () => {
  it('cuts frames delivered one byte at a time, and several frames in one chunk', () => {
    const reader = new FrameReader(1 << 20);
    const out: Buffer[] = [];
    for (const b of PGET_REPLY_200) out.push(...reader.push(Buffer.from([b])));
    expect(out).toHaveLength(1);
    expect(reader.push(Buffer.concat([PGET_REPLY_431, STATUS_REPLY_303]))).toHaveLength(2);
    expect(reader.pending).toBe(0);
  });

  it('refuses a declared length above the cap before receiving it', () => {
    const reader = new FrameReader(1024);
    expect(() => reader.push(Buffer.from([0x00, 0x00, 0x04, 0x01]))).toThrow(NativeFrameError);
    expect(() => new FrameReader(1024).push(Buffer.from([0, 0, 0, 0]))).toThrow(/length 0/);
  });

  it('frames DER with its 4-byte big-endian length', () => {
    expect(frame(Buffer.from([0x30, 0x02, 0xa3, 0x00])).toString('hex')).toBe('0000000430' + '02a300');
  });
});
