// `<state.dir>/controls.json`: the suspension and the open circuit breaker, so that both survive
// restarts and crashes. Every change is written (temp file, fsync, rename, fsync of the
// directory) before the daemon acts on it or answers the command. A file that exists but cannot
// be used means "unknown": the caller must assume the worst (the daemon opens the breaker).
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { readStateFile, writeFileAtomic, type BadStateFile } from '../sweep/state-file.js';
import { BREAKER_REASONS, type ControlState } from './types.js';

export const CONTROLS_FILE = 'controls.json';

const ms = z.number().int().nonnegative();
const stateSchema = z.object({
  version: z.literal(1),
  suspension: z.object({ since: ms, until: ms, reason: z.string(), by: z.string() }).nullable(),
  breaker: z
    .object({
      openedAt: ms,
      reason: z.enum(BREAKER_REASONS),
      detail: z.string(),
      damaged: z.number().int().nonnegative(),
      judged: z.number().int().nonnegative(),
      coolOffUntil: ms.nullable(),
    })
    .nullable(),
});

/** Parses the file's text (throws when it is not a valid state); also used by `explain`, read-only. */
export function parseControlState(text: string): ControlState {
  return stateSchema.parse(JSON.parse(text)) as ControlState;
}

export type ControlLoad =
  | { readonly kind: 'none' }
  | { readonly kind: 'restored'; readonly state: ControlState }
  | { readonly kind: 'bad'; readonly bad: BadStateFile };

export class ControlStore {
  readonly path: string;

  constructor(stateDir: string, private readonly log: Logger) {
    this.path = join(stateDir, CONTROLS_FILE);
  }

  async load(): Promise<ControlLoad> {
    let bad: BadStateFile | undefined;
    const state = await readStateFile(this.path, parseControlState, this.log, 'operator controls (suspension, circuit breaker)', 'the circuit breaker is opened until an operator resets it', (b) => (bad = b));
    if (state) return { kind: 'restored', state };
    return bad ? { kind: 'bad', bad } : { kind: 'none' };
  }

  /** Resolves once `state` is on disk; rejects when it could not be written. */
  async save(state: ControlState): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(state)}\n`, this.log);
  }
}
