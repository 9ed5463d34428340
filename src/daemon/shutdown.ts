// Signal and crash handling for the daemon. The first SIGTERM/SIGINT runs onStop once and arms
// an unref'd backstop that exits 70 (EX_SOFTWARE) if stopping outlasts the grace period; a second
// signal exits 1 at once. The normal path never calls process.exit(): it sets process.exitCode
// and lets the event loop drain, because exit() can drop the last log lines still in flight to
// a pipe (node-daemon-notes §1.1, pinojs/sonic-boom#101). A crash logs fatal (synchronous) and exits 70.
import type { Logger } from '../log.js';

import { EX_SOFTWARE } from '../cli/exit-codes.js';

export { EX_SOFTWARE };

/** The part of `process` used here (tests pass an EventEmitter). */
export interface ProcessLike {
  on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  on(event: 'uncaughtException', listener: (err: Error) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'uncaughtException', listener: (err: Error) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  exit(code?: number): void;
  exitCode?: number | string | undefined;
}

export interface ShutdownOptions {
  readonly log: Logger;
  /** Stops the daemon: no new sweeps, in-flight repairs finished, servers and files closed. */
  readonly onStop: (signal: NodeJS.Signals) => Promise<void>;
  /** Longest time onStop may take before the process exits anyway with 70. */
  readonly graceMs: number;
  readonly proc?: ProcessLike;
}

export interface ShutdownHandle {
  /** True once a stop signal was received. */
  readonly stopping: boolean;
  /** Acts as if `signal` was received now (a stop held since start-up, see cli/startup-signals.ts). */
  requestStop(signal: NodeJS.Signals): void;
  /** Removes the listeners (tests, or a daemon restarted in-process). */
  uninstall(): void;
}

export function installShutdown(opts: ShutdownOptions): ShutdownHandle {
  const { log, graceMs } = opts;
  const proc: ProcessLike = opts.proc ?? process;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second stop signal: exiting now');
      proc.exit(1);
      return;
    }
    stopping = true;
    log.info({ signal, graceMs }, 'stopping');
    setTimeout(() => {
      log.error({ graceMs }, 'stopping took longer than the grace period: exiting');
      proc.exit(EX_SOFTWARE);
    }, graceMs).unref();
    Promise.resolve()
      .then(() => opts.onStop(signal))
      .then(
        () => {
          proc.exitCode ??= 0;
          log.info('stopped');
        },
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          proc.exitCode = EX_SOFTWARE;
        },
      );
  };
  const onFatal = (err: unknown, origin: string): void => {
    log.fatal({ err, origin }, 'fatal error: exiting');
    proc.exitCode = EX_SOFTWARE;
    proc.exit(EX_SOFTWARE);
  };
  const onUncaught = (err: Error): void => onFatal(err, 'uncaughtException');
  const onRejection = (reason: unknown): void => onFatal(reason, 'unhandledRejection');

  proc.on('SIGTERM', onSignal);
  proc.on('SIGINT', onSignal);
  proc.on('uncaughtException', onUncaught);
  proc.on('unhandledRejection', onRejection);
  return {
    get stopping() {
      return stopping;
    },
    requestStop: onSignal,
    uninstall(): void {
      proc.off('SIGTERM', onSignal);
      proc.off('SIGINT', onSignal);
      proc.off('uncaughtException', onUncaught);
      proc.off('unhandledRejection', onRejection);
    },
  };
}
