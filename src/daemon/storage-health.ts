// Whether the daemon can write what it must write: the journal, the repair history, the sweep
// position, the operator controls and the suspects list. A failed write (disk full, read-only filesystem, I/O error)
// makes the daemon unready with the reason, sets oio_repaird_storage_writable{file} to 0 and logs
// once; repairs stop by themselves (no journal line, or no saved reservation, means no mutating
// request); controls and suspects that cannot be saved hold in memory only (lost at a restart). While a file
// is failing, a small write probe in its directory runs every few seconds, so the daemon notices
// on its own when space is back, even between sweeps; the next real write confirms it. The repair
// history, the controls and the suspects list retry their own save instead (a probe would not put their state on disk).
import { open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { JournalEntry, JournalSink } from '../journal/types.js';
import type { Logger } from '../log.js';
import type { Metrics, StorageFile } from '../metrics/metrics.js';
import type { SweepCheckpoint, SweepStateStore } from '../sweep/state.js';

export interface StorageHealthOptions {
  readonly metrics: Metrics;
  readonly log: Logger;
  /** The path of each file (its directory is where the recovery probe writes). */
  readonly paths: Readonly<Record<StorageFile, string>>;
  /** How often a failing file's directory is probed (default 5 s). */
  readonly probeIntervalMs?: number;
  /** Bytes the probe writes (default 64 KiB: a little room, not just one free block). */
  readonly probeBytes?: number;
}

const LABELS: Readonly<Record<StorageFile, string>> = {
  journal: 'the journal',
  repair_history: 'the repair history',
  sweep_position: 'the sweep position',
  controls: 'the operator controls',
  suspects: 'the suspects list',
};

/** What a failing file costs, for the log line and /readyz. */
const CONSEQUENCE: Readonly<Record<StorageFile, string>> = {
  journal: 'no repairs until it can be written',
  repair_history: 'no repairs until it can be written',
  sweep_position: 'no repairs until it can be written',
  controls: 'the suspension and the circuit breaker hold in memory only, a restart would lose them',
  suspects: 'the suspects are re-checked from memory only, a restart would lose the list',
};

/** Files whose failure costs only what a restart would lose: repairs go on. */
const REPAIRS_GO_ON: ReadonlySet<StorageFile> = new Set<StorageFile>(['controls', 'suspects']);

/** Files that save themselves again (the directory probe would not save their state). */
const RETRY_THEIR_OWN_SAVE: ReadonlySet<StorageFile> = new Set<StorageFile>(['repair_history', 'controls', 'suspects']);

export class StorageHealth {
  private readonly opts: StorageHealthOptions;
  private readonly failing = new Map<StorageFile, string>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;

  constructor(opts: StorageHealthOptions) {
    this.opts = opts;
  }

  ok(file: StorageFile): void {
    this.opts.metrics.storageWritable.set({ file }, 1);
    if (!this.failing.delete(file)) return;
    this.opts.log.info({ file, path: this.opts.paths[file] }, `${LABELS[file]} can be written again`);
    if (this.failing.size === 0) this.stopProbing();
  }

  failed(file: StorageFile, err: unknown): void {
    const message = storageProblem(err);
    this.opts.metrics.storageWritable.set({ file }, 0);
    this.opts.metrics.storageWriteFailures.inc({ file });
    const known = this.failing.has(file);
    this.failing.set(file, message);
    if (!known) {
      this.opts.log.error({ file, path: this.opts.paths[file], error: message }, `cannot write ${LABELS[file]}: ${CONSEQUENCE[file]}`);
    }
    this.startProbing();
  }

  /** Why the daemon is not ready, or undefined when every file could be written. */
  problem(): string | undefined {
    if (this.failing.size === 0) return undefined;
    const parts = [...this.failing].map(([file, message]) => `cannot write ${LABELS[file]} ${this.opts.paths[file]} (${message})`);
    const files = [...this.failing.keys()];
    const consequence = files.every((file) => REPAIRS_GO_ON.has(file)) ? files.map((file) => CONSEQUENCE[file]).join('; ') : 'repairs stopped';
    return `${parts.join('; ')}: ${consequence}`;
  }

  /** Wraps a journal so that its appends report here. */
  journal(sink: JournalSink): JournalSink {
    return {
      append: async (entry: JournalEntry) => {
        try {
          await sink.append(entry);
        } catch (err) {
          if ((err as { code?: unknown }).code !== 'REPAIRD_JOURNAL_CLOSED') this.failed('journal', err);
          throw err;
        }
        this.ok('journal');
      },
    };
  }

  /** Wraps a sweep state store so that its saves report here. */
  sweepState(store: SweepStateStore): SweepStateStore {
    const watch = async (write: () => Promise<void>): Promise<void> => {
      try {
        await write();
      } catch (err) {
        this.failed('sweep_position', err);
        throw err;
      }
      this.ok('sweep_position');
    };
    return {
      load: () => store.load(),
      save: (checkpoint: SweepCheckpoint) => watch(() => store.save(checkpoint)),
      clear: () => watch(() => store.clear()),
    };
  }

  close(): void {
    this.closed = true;
    this.stopProbing();
  }

  private startProbing(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.probe(), this.opts.probeIntervalMs ?? 5000);
    this.timer.unref();
  }

  private stopProbing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The repair history and the controls retry their own save; the others are probed in their directory. */
  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      for (const file of [...this.failing.keys()]) {
        if (RETRY_THEIR_OWN_SAVE.has(file)) continue;
        if (await this.canWrite(dirname(this.opts.paths[file]))) this.ok(file);
      }
    } finally {
      this.probing = false;
    }
  }

  private async canWrite(dir: string): Promise<boolean> {
    // Ends in .tmp: a probe cut short by a crash is removed at the next start.
    const path = join(dir, `.write-probe.${process.pid}.tmp`);
    try {
      const handle = await open(path, 'w', 0o600);
      try {
        await handle.writeFile(Buffer.alloc(this.opts.probeBytes ?? 65_536));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return true;
    } catch {
      return false;
    } finally {
      await rm(path, { force: true }).catch(() => undefined);
    }
  }
}

/** The message, with the system code of the error or of its cause (`ENOSPC: …`) when it does not say it. */
function storageProblem(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (cause as { code?: unknown } | undefined)?.code ?? (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return errorMessage(err);
}
