// Holds SIGTERM, SIGINT and SIGHUP from the first line of the process until a command takes
// them over, so that a stop sent while the modules load or the configuration is read is not
// fatal (Node's default for SIGTERM is "die with 143"). `run` turns a held stop into a clean
// exit 0; every other command gets the default behaviour back (the signal is raised again).
export type HeldSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

const HELD: readonly HeldSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

let holding = false;
let firstStop: HeldSignal | undefined;
let hups = 0;

const record = (signal: NodeJS.Signals): void => {
  if (signal === 'SIGHUP') hups += 1;
  else firstStop ??= signal as HeldSignal;
};

/** Starts holding (idempotent). All three listeners are installed in the same tick. */
export function holdStartupSignals(): void {
  if (holding) return;
  holding = true;
  for (const signal of HELD) process.on(signal, record);
}

export interface HeldSignals {
  /** The first SIGTERM/SIGINT received while holding. */
  readonly stop: HeldSignal | undefined;
  /** SIGHUPs received while holding (there was no configuration to reload yet). */
  readonly hups: number;
}

/** What was received so far, without releasing. */
export function heldSignals(): HeldSignals {
  return { stop: firstStop, hups };
}

/**
 * Stops holding and returns what was received. Call it only once the command's own listeners
 * are installed, or the process is briefly without any.
 */
export function releaseStartupSignals(): HeldSignals {
  const held = heldSignals();
  if (holding) for (const signal of HELD) process.off(signal, record);
  holding = false;
  firstStop = undefined;
  hups = 0;
  return held;
}

/** For commands that do not handle signals: release, and die of a held stop as Node would have. */
export function releaseToDefault(): void {
  const { stop } = releaseStartupSignals();
  if (stop) process.kill(process.pid, stop);
}
