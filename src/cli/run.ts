// `oio-repaird run`: the daemon. Loads the configuration as check-config does (exit 78 with every
// problem when it is invalid or this host cannot run it), starts the Daemon, reloads on SIGHUP,
// stops gracefully on SIGTERM/SIGINT (exit 0) and exits 70 on an internal error, so systemd
// restarts it.
import { getHeapStatistics } from 'node:v8';
import { loadRunnableConfig } from '../config/preflight.js';
import { EX_CONFIG, formatIssues } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { Daemon } from '../daemon/daemon.js';
import { EX_SOFTWARE, installShutdown } from '../daemon/shutdown.js';
import { StateDirLockedError } from '../daemon/state-lock.js';
import { EX_LOCKED } from './exit-codes.js';
import { createLogger, type Logger } from '../log.js';
import { heapFitProblem } from '../oio/answer-limits.js';
import { fdFitProblem, openFileLimit } from '../daemon/fd-budget.js';
import { parse } from './args.js';
import type { Command } from './command.js';
import { heldSignals, holdStartupSignals, releaseStartupSignals } from './startup-signals.js';
import { UsageError } from './usage-error.js';

export interface RunningDaemon {
  readonly daemon: Daemon;
  /** Resolves with the exit code once the daemon stopped after a signal. */
  readonly exited: Promise<number>;
}

/** Starts the daemon and wires SIGHUP/SIGTERM/SIGINT to it. Rejects if it cannot start. */
export async function startDaemon(config: Config, configPath: string, env: NodeJS.ProcessEnv, log: Logger): Promise<RunningDaemon> {
  // Installed before anything slow: without a listener, SIGHUP would kill the process.
  const onHup = (): void => {
    if (daemon) void daemon.reload();
    else log.warn('SIGHUP before the daemon was ready: ignored');
  };
  process.on('SIGHUP', onHup);
  let daemon: Daemon | undefined;
  let starting: Promise<Daemon> | undefined;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const shutdown = installShutdown({
    log,
    graceMs: config.shutdown.graceSeconds * 1000,
    onStop: async () => {
      try {
        // A stop during start-up waits for the start to end, then stops what was started:
        // otherwise the half-started daemon would keep running after "stopped".
        const started = daemon ?? (await starting?.catch(() => undefined));
        await started?.stop();
        resolveExit(0);
      } catch (err) {
        resolveExit(EX_SOFTWARE);
        throw err;
      } finally {
        process.off('SIGHUP', onHup);
      }
    },
  });
  const held = releaseStartupSignals();
  if (held.stop) shutdown.requestStop(held.stop);
  try {
    starting = Daemon.start({ config, configPath, env, log });
    daemon = await starting;
  } catch (err) {
    process.off('SIGHUP', onHup);
    shutdown.uninstall();
    throw err;
  }
  return { daemon, exited };
}

export const runCommand: Command = {
  usage: `Usage: oio-repaird run [--config FILE]

Runs the daemon: sweeps every container of the namespace on the configured schedule, probes
every replica, repairs what is safe, and exports /metrics, /healthz and /readyz.
Logs are JSON lines on stdout (pipe to \`npx pino-pretty\` to read them).

Signals: SIGHUP reloads the configuration (an invalid one is refused and the running one kept);
SIGTERM/SIGINT stop gracefully (in-flight repairs finish, the sweep position is saved).

Options:
  --config FILE   configuration file (default $OIO_REPAIRD_CONFIG or /etc/oio-repaird/config.yaml)
  -h, --help      this help

Exit status: 0 stopped by a signal, 78 invalid configuration, 73 the state directory is in use by
another oio-repaird, 70 internal error, 64 bad usage.`,
  async run(argv, io) {
    // First thing: a SIGTERM from here on is a clean stop (main.ts already holds them).
    holdStartupSignals();
    const { values, positionals } = parse('run', argv, { config: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'run');
    const loaded = await loadRunnableConfig(values.config, io.env);
    if (!loaded.ok) {
      const log = createLogger({ level: 'info' });
      log.fatal({ issues: loaded.errors }, `invalid configuration:\n${formatIssues(loaded.errors)}`);
      releaseStartupSignals();
      return EX_CONFIG;
    }
    const log = createLogger({ level: loaded.config.log.level });
    const early = heldSignals().stop;
    if (early) {
      releaseStartupSignals();
      log.info({ signal: early }, 'stop signal received during start-up: stopped before starting');
      return 0;
    }
    // What only this process knows: the answers in flight must fit the heap node was given (the
    // unit's --max-old-space-size), the connections it may hold its fd limit (LimitNOFILE).
    for (const problem of [heapFitProblem(loaded.config, getHeapStatistics().heap_size_limit), fdFitProblem(loaded.config, openFileLimit())]) {
      if (problem === null) continue;
      log.fatal(`invalid configuration: ${problem}`);
      releaseStartupSignals();
      return EX_CONFIG;
    }
    try {
      const running = await startDaemon(loaded.config, loaded.source, io.env, log);
      return await running.exited;
    } catch (err) {
      if (err instanceof StateDirLockedError) {
        log.fatal({ code: err.code, dir: err.dir, owner: err.owner }, err.message);
        return EX_LOCKED;
      }
      log.fatal({ err }, 'the daemon could not start');
      return EX_SOFTWARE;
    }
  },
};
