// Framing of the native meta2 protocol: a 4-byte unsigned big-endian length N, then N bytes of
// DER (oio-native-protocol.md §1.1). FrameReader cuts a byte stream into frames and refuses a
// declared length above its cap before buffering a byte of it, so a hostile length cannot make
// us allocate. Framing only: what a frame holds is der.ts's business.

/** A declared frame length above the cap, or zero. */
export class NativeFrameError extends Error {
  readonly code = 'NATIVE_BAD_FRAME';
  constructor(message: string) {
    super(message);
    this.name = 'NativeFrameError';
  }
}

const HEADER_BYTES = 4;
/** The largest cap accepted: the length prefix is 32-bit, and 1 GiB is the server's own limit. */
export const MAX_FRAME_CAP = 1 << 30;

/** Prefixes DER bytes with their length. */
export function frame(der: Buffer): Buffer {
  if (der.length > MAX_FRAME_CAP) throw new RangeError(`frame of ${der.length} bytes is above ${MAX_FRAME_CAP}`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(der.length, 0);
  return Buffer.concat([header, der]);
}

/** Incremental frame splitter for one connection. Not reusable after it threw. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > MAX_FRAME_CAP) {
      throw new RangeError(`maxFrameBytes must be an integer in [1, ${MAX_FRAME_CAP}]`);
    }
  }

  /** Bytes received but not yet returned as a frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Adds received bytes; returns every frame now complete (DER only, without the length). */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) return frames;
      if ((this.chunks[0] as Buffer).length < HEADER_BYTES) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
      const length = (this.chunks[0] as Buffer).readUInt32BE(0);
      if (length === 0) throw new NativeFrameError('frame of length 0');
      if (length > this.maxFrameBytes) {
        throw new NativeFrameError(`frame of ${length} bytes is above the ${this.maxFrameBytes}-byte cap`);
      }
      // Concatenate only once the whole frame is here: a large frame in many chunks stays linear.
      if (this.buffered < HEADER_BYTES + length) return frames;
      const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
      frames.push(Buffer.from(all.subarray(HEADER_BYTES, HEADER_BYTES + length)));
      const rest = all.subarray(HEADER_BYTES + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }
}
