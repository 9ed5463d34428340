// Every byte from a meta2's port is hostile: random, truncated, bit-flipped and oversized
// frames must end in a NativeDecodeError or NativeFrameError (a clear reason), never another
// exception, a hang, or an allocation beyond the cap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NativeDecodeError, decodeMessage, encodeMessage, type NativeMessage } from '../../src/native/der.js';
import { FrameReader, NativeFrameError, frame } from '../../src/native/frame.js';
import { PGET_REPLY_200, PGET_REPLY_431, PGET_REQUEST, STATUS_REPLY_303 } from './captured.js';

const CAPTURED = [PGET_REQUEST, PGET_REPLY_200, PGET_REPLY_431, STATUS_REPLY_303].map((f) => f.subarray(4));

/** Decodes, or returns the error; anything but our two error classes fails the property. */
function decodeOrError(der: Buffer): NativeMessage | Error {
  try {
    return decodeMessage(der);
  } catch (err) {
    if (err instanceof NativeDecodeError) return err;
    throw err;
  }
}

const printable = fc.string({ unit: fc.constantFrom(...'ABCdef012_-:. '), maxLength: 20 });
const message: fc.Arbitrary<NativeMessage> = fc.record(
  {
    id: printable,
    name: printable,
    params: fc.array(fc.record({ name: printable, value: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) }), { maxLength: 8 }),
    body: fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
  },
  { requiredKeys: ['params'] },
);

describe('native decoder under hostile input', () => {
  it('random bytes: a message or a NativeDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      decodeOrError(Buffer.from(bytes));
    }), { numRuns: 3000 });
  });

  it('random bytes behind a valid SEQUENCE header', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const body = Buffer.from(bytes);
      decodeOrError(Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]));
      decodeOrError(Buffer.concat([Buffer.from([0x30, 0x82, 0x00, 0x00]), body]));
    }), { numRuns: 2000 });
  });

  it('every truncation of a real frame is refused', () => {
    for (const der of CAPTURED) {
      for (let n = 0; n < der.length; n++) expect(decodeOrError(der.subarray(0, n))).toBeInstanceOf(NativeDecodeError);
    }
  });

  it('real frames with bytes flipped: a message or a NativeDecodeError', () => {
    fc.assert(fc.property(
      fc.constantFrom(...CAPTURED),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      (der, flips) => {
        const copy = Buffer.from(der);
        for (const [at, xor] of flips) copy[at % copy.length] = (copy[at % copy.length] as number) ^ xor;
        decodeOrError(copy);
      },
    ), { numRuns: 3000 });
  });

  it('what it encodes, it decodes to the same message', () => {
    fc.assert(fc.property(message, (m) => {
      const back = decodeMessage(encodeMessage(m));
      expect(back.id).toBe(m.id);
      expect(back.name).toBe(m.name);
      expect(back.body).toEqual(m.body);
      expect([...back.params].map((p) => p.name).sort()).toEqual([...m.params].map((p) => p.name).sort());
    }), { numRuns: 500 });
  });
});

describe('FrameReader under hostile input', () => {
  it('random chunking of random streams: frames up to the cap, else a NativeFrameError', () => {
    const cap = 256;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 64 }), (bytes, cuts) => {
      const reader = new FrameReader(cap);
      const stream = Buffer.from(bytes);
      let pos = 0;
      let i = 0;
      try {
        while (pos < stream.length) {
          const n = cuts.length > 0 ? (cuts[i++ % cuts.length] as number) : stream.length;
          for (const f of reader.push(stream.subarray(pos, pos + n))) {
            expect(f.length).toBeLessThanOrEqual(cap);
            decodeOrError(f);
          }
          pos += n;
        }
        expect(reader.pending).toBeLessThanOrEqual(cap + 4);
      } catch (err) {
        if (!(err instanceof NativeFrameError)) throw err;
      }
    }), { numRuns: 2000 });
  });

  it('an oversized length is refused at once, whatever follows', () => {
    fc.assert(fc.property(fc.integer({ min: 1025, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (length, rest) => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(length, 0);
      expect(() => new FrameReader(1024).push(Buffer.concat([header, Buffer.from(rest)]))).toThrow(NativeFrameError);
    }), { numRuns: 500 });
  });

  it('a stream of valid frames split anywhere comes out whole and in order', () => {
    fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.nat(), (messages, seed) => {
      const stream = Buffer.concat(messages.map((m) => frame(encodeMessage(m))));
      const reader = new FrameReader(1 << 16);
      const out: Buffer[] = [];
      const step = (seed % 13) + 1;
      for (let pos = 0; pos < stream.length; pos += step) out.push(...reader.push(stream.subarray(pos, pos + step)));
      expect(out.map((f) => decodeMessage(f).id)).toEqual(messages.map((m) => m.id));
    }), { numRuns: 300 });
  });
});
