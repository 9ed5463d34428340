// The journal's rotation settings as the daemon opens it: size and keep count from the
// configuration (src/config/runtime.ts), and a log line for each rotation (an error when one fails: writing goes on in
// the same file, and the next batch tries again).
import type { Logger } from '../log.js';
import type { JournalOptions } from './journal.js';

export function journalRotation(journal: { readonly path: string; readonly maxBytes: number; readonly keep: number }, log: Logger): JournalOptions {
  const { path, maxBytes, keep } = journal;
  return {
    maxBytes,
    keep,
    onRotate: (event) => {
      if (event.ok) log.info({ path, rotatedBytes: event.bytes, keep }, 'journal rotated');
      else log.error({ err: event.error, path }, 'journal rotation failed: still writing to the same file, retried at the next write');
    },
  };
}
