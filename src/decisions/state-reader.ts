// Reads what the daemon keeps in its state directory (the repair history with budgets and
// cooldowns, the running sweep's position) for `explain`, strictly read-only: a missing file is
// "no state", a bad one is reported, never moved aside nor rewritten (the daemon owns them), and
// no lock is taken (the daemon holds it while it runs).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTROLS_FILE, parseControlState } from '../controls/store.js';
import type { ControlState } from '../controls/types.js';
import { parseStallFile, STALL_FILE_NAME } from '../daemon/stall-watch.js';
import { GATE_FILE, parseGateSnapshot } from '../sweep/gate-store.js';
import type { GateSnapshot } from '../sweep/repair-gate.js';
import { parseCheckpoint, STATE_FILE, type SweepCheckpoint } from '../sweep/state.js';

/** One state file as read: absent, its content, or why it could not be used. */
export type StateRead<T> =
  | { readonly kind: 'none' }
  | { readonly kind: 'read'; readonly value: T }
  | { readonly kind: 'bad'; readonly path: string; readonly error: string };

export interface DaemonState {
  readonly dir: string;
  readonly gate: StateRead<GateSnapshot>;
  readonly sweep: StateRead<SweepCheckpoint>;
  /** `account/container` → sweeps it stalled in a row (src/daemon/stall-watch.ts). */
  readonly stalls: StateRead<Record<string, number>>;
  /** The operator controls: suspension and circuit breaker (src/controls/). */
  readonly controls: StateRead<ControlState>;
}

export async function readDaemonState(dir: string): Promise<DaemonState> {
  const [gate, sweep, stalls, controls] = await Promise.all([
    readState(join(dir, GATE_FILE), parseGateSnapshot),
    readState(join(dir, STATE_FILE), parseCheckpoint),
    readState(join(dir, STALL_FILE_NAME), parseStallFile),
    readState(join(dir, CONTROLS_FILE), parseControlState),
  ]);
  return { dir, gate, sweep, stalls, controls };
}

export async function readState<T>(path: string, parse: (text: string) => T): Promise<StateRead<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'bad', path, error: (err as Error).message };
  }
  try {
    return { kind: 'read', value: parse(text) };
  } catch (err) {
    return { kind: 'bad', path, error: err instanceof Error ? err.message.split('\n')[0] ?? 'invalid' : String(err) };
  }
}
