// The repair journal writer: an append-only JSON-lines file, one line per entry, that survives a
// crash. append() resolves only after the line and its data are on stable storage (write then
// fdatasync). Appends queue in order and are written by one writer at a time, in batches (one
// write + one fdatasync for everything queued meanwhile), so lines never interleave and a burst
// of entries does not cost one disk flush each. Past `maxBytes` the file is rotated between two
// batches (rotation.ts), so appends queued meanwhile wait and none is lost. It is not a database:
// readers are in read.ts.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { rotateFiles } from './rotation.js';
import type { JournalEntry, JournalSink } from './types.js';

/**
 * Without maxBytes and keep the file never rotates (the CLI's --journal FILE); the daemon gives
 * both (journal.maxBytes, journal.keep, through src/config/runtime.ts).
 */
export type JournalOptions = {
  /** Told after each rotation (a log line, a counter), and of a rotation that failed. */
  readonly onRotate?: (event: { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly error: Error }) => void;
} & (
  | { readonly maxBytes?: undefined; readonly keep?: undefined }
  | {
      /** Rotate before a batch would take the file past this size. */
      readonly maxBytes: number;
      /** Rotated files kept: `path.1` … `path.keep`. */
      readonly keep: number;
    }
);

export class JournalError extends Error {
  readonly code: 'REPAIRD_JOURNAL_CLOSED' | 'REPAIRD_JOURNAL_OPEN' | 'REPAIRD_JOURNAL_WRITE' | 'REPAIRD_JOURNAL_READ' | 'REPAIRD_JOURNAL_MISSING';
  readonly path: string;

  constructor(code: JournalError['code'], path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalError';
    this.code = code;
    this.path = path;
  }
}

interface Pending {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class Journal implements JournalSink {
  readonly path: string;
  #file: FileHandle;
  #size: number;
  readonly #opts: JournalOptions;
  #queue: Pending[] = [];
  #writing: Promise<void> | null = null;
  #closed = false;
  /** True when the file may end in a partial line (a torn write): start the next batch on a new line. */
  #needsNewline: boolean;

  private constructor(path: string, file: FileHandle, size: number, needsNewline: boolean, opts: JournalOptions) {
    this.path = path;
    this.#file = file;
    this.#size = size;
    this.#needsNewline = needsNewline;
    this.#opts = opts;
  }

  /**
   * Opens (creating with mode 0600, its directory with 0700) the journal at `path`. When the file
   * ends in a torn line from a crash, the next entry starts on a fresh line so it stays readable.
   */
  static async open(path: string, opts: JournalOptions = {}): Promise<Journal> {
    if (opts.maxBytes !== undefined && !(opts.maxBytes >= 1)) throw new RangeError(`maxBytes must be >= 1, got ${opts.maxBytes}`);
    if (opts.keep !== undefined && !(Number.isInteger(opts.keep) && opts.keep >= 1)) throw new RangeError(`keep must be an integer >= 1, got ${opts.keep}`);
    let file: FileHandle;
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      file = await open(path, 'a+', 0o600);
    } catch (err) {
      throw new JournalError('REPAIRD_JOURNAL_OPEN', path, `cannot open the journal ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const { size } = await file.stat();
      return new Journal(path, file, size, await endsInTornLine(file, size), opts);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw new JournalError('REPAIRD_JOURNAL_OPEN', path, `cannot read the end of the journal ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Appends one entry; resolves once it is durably written, rejects if it could not be. */
  append(entry: JournalEntry): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new JournalError('REPAIRD_JOURNAL_CLOSED', this.path, 'the journal is closed'));
    }
    const line = `${JSON.stringify(entry)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  /** Waits for queued entries to be written, then closes the file. Later appends reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#writing) await this.#writing;
    await this.#file.close();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#writeBatch(batch.map((p) => p.line).join(''));
        for (const pending of batch) pending.resolve();
      } catch (err) {
        const failure = new JournalError('REPAIRD_JOURNAL_WRITE', this.path, `cannot write the journal ${this.path}: ${(err as Error).message}`, { cause: err });
        for (const pending of batch) pending.reject(failure);
      }
    }
    this.#writing = null;
  }

  async #writeBatch(text: string): Promise<void> {
    await this.#rotateIfDue(Buffer.byteLength(text, 'utf8'));
    const data = Buffer.from(this.#needsNewline ? `\n${text}` : text, 'utf8');
    // If anything below fails the file may end mid-line; the next batch then starts a new line.
    this.#needsNewline = true;
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.#file.write(data, offset, data.length - offset);
      offset += bytesWritten;
      this.#size += bytesWritten;
    }
    await this.#file.datasync();
    this.#needsNewline = false;
  }

  /**
   * Rotates when the batch would take a non-empty file past maxBytes. Everything written so far
   * is already synced. The new file is opened before the old handle is closed: if the rotation
   * fails half-way, writing goes on in whatever file the handle points to (the readers list every
   * rotated file), and the next batch tries again. A batch larger than maxBytes gets a file of its own.
   */
  async #rotateIfDue(bytes: number): Promise<void> {
    const rotation = this.#opts;
    if (rotation.maxBytes === undefined || this.#size === 0 || this.#size + bytes <= rotation.maxBytes) return;
    const rotated = this.#size;
    let next: FileHandle;
    try {
      await rotateFiles(this.path, rotation.keep);
      next = await open(this.path, 'a+', 0o600);
    } catch (err) {
      this.#opts.onRotate?.({ ok: false, error: err as Error });
      return;
    }
    const old = this.#file;
    this.#file = next;
    this.#size = 0;
    // The old file was synced after its last batch; a torn line in it stays there.
    this.#needsNewline = false;
    await old.close().catch(() => undefined);
    this.#opts.onRotate?.({ ok: true, bytes: rotated });
  }
}

async function endsInTornLine(file: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await file.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}
