// The native transport is read-only by construction: the request module builds DB_PGET (always
// with LOCAL), DB_HAS and DB_STATUS and nothing else, whatever it is given, every request carries
// TO, and no other code in src/ can build a frame (the meta2 port has no access control and the
// same socket would accept DB_REMOVE).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, paramValue } from '../../src/native/der.js';
import { FrameReader } from '../../src/native/frame.js';
import * as requests from '../../src/native/requests.js';
import { READ_REQUEST_NAMES, dbHas, dbPget, dbStatus, frameOf, type ReadRequest, type ReadTarget } from '../../src/native/requests.js';

const SRC = join(import.meta.dirname, '../../src');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function decoded(request: ReadRequest) {
  const frames = new FrameReader(1 << 16).push(frameOf(request));
  expect(frames).toHaveLength(1);
  return decodeMessage(frames[0] as Buffer);
}

const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 64, maxLength: 64 });
const target: fc.Arbitrary<ReadTarget> = fc.record({
  cid: fc.oneof(hex, fc.string({ maxLength: 70 })),
  namespace: fc.oneof(fc.constantFrom('OPENIO', 'NS_1.a-b'), fc.string({ maxLength: 70 })),
  timeoutMs: fc.oneof(fc.integer({ min: 1, max: 300_000 }), fc.double(), fc.integer()),
  reqId: fc.oneof(fc.string({ unit: fc.constantFrom(...'abc-0123456789'), minLength: 1, maxLength: 63 }), fc.string({ maxLength: 80 })),
});

describe('native requests are read-only by construction', () => {
  it('the request module exports three builders, their names, and frameOf: nothing takes a name', () => {
    expect(Object.keys(requests).sort()).toEqual(['READ_REQUEST_NAMES', 'dbHas', 'dbPget', 'dbStatus', 'frameOf']);
    expect([...READ_REQUEST_NAMES]).toEqual(['DB_PGET', 'DB_HAS', 'DB_STATUS']);
    for (const build of [dbPget, dbHas, dbStatus]) expect(build.length).toBe(1);
  });

  it('whatever a builder is given, it refuses it or builds its own read with TO, and DB_PGET with LOCAL=1', () => {
    const builders = [[dbPget, 'DB_PGET'], [dbHas, 'DB_HAS'], [dbStatus, 'DB_STATUS']] as const;
    fc.assert(fc.property(target, fc.constantFrom(...builders), (t, [build, name]) => {
      let request: ReadRequest;
      try {
        request = build(t);
      } catch (err) {
        expect(err).toBeInstanceOf(RangeError);
        return;
      }
      const m = decoded(request);
      expect(m.name).toBe(name);
      expect(m.id).toBe(t.reqId);
      expect(paramValue(m, 'TO')?.toString()).toBe(String(t.timeoutMs * 1000));
      expect(paramValue(m, 'BNAME')?.toString()).toBe(`${t.cid.toUpperCase()}.1`);
      expect(paramValue(m, 'BTYPE')?.toString()).toBe('meta2');
      expect(paramValue(m, 'NS')?.toString()).toBe(t.namespace);
      const names = m.params.map((p) => p.name).sort();
      if (name === 'DB_PGET') {
        expect(names).toEqual(['BNAME', 'BTYPE', 'LOCAL', 'NS', 'TO']);
        expect(paramValue(m, 'LOCAL')?.toString()).toBe('1');
      } else {
        expect(names).toEqual(['BNAME', 'BTYPE', 'NS', 'TO']);
      }
      expect(m.body).toBeUndefined();
    }), { numRuns: 1000 });
  });

  it('frameOf refuses any object it did not build, and a built request cannot be altered', () => {
    const forged = { name: 'DB_REMOVE', id: 'x' } as unknown as ReadRequest;
    expect(() => frameOf(forged)).toThrow(/refused/);
    const real = dbHas({ cid: 'A'.repeat(64), namespace: 'OPENIO', timeoutMs: 1000, reqId: 'r1' });
    expect(() => { (real as { name: string }).name = 'DB_REMOVE'; }).toThrow(TypeError);
    expect(() => frameOf({ ...real })).toThrow(/refused/);
    frameOf(real).fill(0);
    expect(decoded(real).name).toBe('DB_HAS');
  });

  it('outside the request module and the simulator, no code in src/ encodes a native message', async () => {
    const offenders: string[] = [];
    for (const file of await sources(SRC)) {
      const rel = relative(SRC, file);
      if (['native/requests.ts', 'native/der.ts', 'native/frame.ts'].includes(rel) || rel.startsWith('sim/')) continue;
      const text = await readFile(file, 'utf8');
      if (/\bencodeMessage\b|\bframe\(/.test(text)) offenders.push(rel);
      for (const m of text.matchAll(/'(DB_[A-Z_]+|REQ_[A-Z_]+|SQLX_[A-Z_]+)'/g)) {
        if (!(READ_REQUEST_NAMES as readonly string[]).includes(m[1] as string)) offenders.push(`${rel}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
