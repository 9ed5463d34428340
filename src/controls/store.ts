// `<state.dir>/controls.json`: the suspension and the open circuit breaker, so that both survive
// restarts and crashes. Every change is written (temp file, fsync, rename, fsync of the
// directory) before the daemon acts on it or answers the command. A file that exists but cannot
// be used means "unknown": the caller must assume the worst (the daemon opens the breaker).
import { z } from 'zod';
import type { Logger } from '../log.js';
import { JsonStateFile, type NamedStateFileLoad } from '../sweep/state-file.js';
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

export type ControlLoad = NamedStateFileLoad<'state', ControlState>;

export class ControlStore {
  private readonly file: JsonStateFile<ControlState>;

  constructor(stateDir: string, log: Logger) {
    this.file = new JsonStateFile(stateDir, CONTROLS_FILE, {
      parse: parseControlState,
      what: 'operator controls (suspension, circuit breaker)',
      otherwise: 'the circuit breaker is opened until an operator resets it',
    }, log);
  }

  get path(): string {
    return this.file.path;
  }

  async load(): Promise<ControlLoad> {
    const loaded = await this.file.load();
    return loaded.kind === 'restored' ? { kind: 'restored', state: loaded.value } : loaded;
  }

  /** Resolves once `state` is on disk; rejects when it could not be written. */
  save(state: ControlState): Promise<void> {
    return this.file.save(state);
  }
}
