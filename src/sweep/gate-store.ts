// Persists the repair gate's history (cooldowns, backoff, the last hour's repairs) in
// `<state.dir>/repair-gate.json`, so budgets and cooldowns survive restarts and crash loops.
// Saves are coalesced (one write at a time, the latest snapshot wins) and never throw into the
// sweep; a missing or unreadable file means "no history", logged, never a crash.
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { readStateFile, writeFileAtomic } from './state-file.js';
import type { GateSnapshot } from './repair-gate.js';

export const GATE_FILE = 'repair-gate.json';

const ms = z.number().finite().nonnegative();
const snapshotSchema = z.object({
  version: z.literal(1),
  hourly: z.array(ms),
  attempts: z.array(z.tuple([z.string().min(1), z.object({ failures: z.number().int().nonnegative(), notBefore: ms, expiresAt: ms })])),
});

export class FileGateStore {
  readonly path: string;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private pending: GateSnapshot | null = null;

  constructor(stateDir: string, log: Logger) {
    this.path = join(stateDir, GATE_FILE);
    this.log = log;
  }

  load(): Promise<GateSnapshot | null> {
    const parse = (text: string): GateSnapshot => snapshotSchema.parse(JSON.parse(text)) as GateSnapshot;
    return readStateFile(this.path, parse, this.log, 'repair history', 'starting without cooldowns');
  }

  /** Queues a save of `snapshot`; resolves when it (or a later one) is on disk. Never rejects. */
  save(snapshot: GateSnapshot): Promise<void> {
    const queued = this.pending !== null;
    this.pending = snapshot;
    if (queued) return this.chain;
    this.chain = this.chain.then(async () => {
      const next = this.pending;
      this.pending = null;
      if (!next) return;
      try {
        await writeFileAtomic(this.path, `${JSON.stringify(next)}\n`, this.log);
      } catch (err) {
        this.log.error({ err, path: this.path }, 'saving the repair history failed');
      }
    });
    return this.chain;
  }

  /** Resolves once every queued save is written. */
  flush(): Promise<void> {
    return this.chain;
  }
}
