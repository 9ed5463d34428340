// What `suspend`, `resume` and `breaker` share: finding the state directory (from --state-dir or
// the configuration), sending the command to the running daemon over its control socket, and,
// when no daemon runs, applying it to `<state.dir>/controls.json` under the state directory's
// lock (journaled the same way), so that a stopped or crash-looping daemon can be suspended
// before it starts. Prints the daemon's answer; `--json` prints it as one JSON object.
import { systemClock } from '../clock.js';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { EX_CONFIG, formatIssues } from '../config/errors.js';
import { DEFAULT_SUSPEND_MAX_HOURS, JOURNAL_FILE_NAME } from '../config/schema.js';
import { controlSocketPath, ControlUnreachableError, sendControl, type ControlReply } from '../controls/channel.js';
import { applyCommand, describeControls, ControlCommandError } from '../controls/commands.js';
import { ControlStore } from '../controls/store.js';
import { NO_CONTROLS, type ControlCommand } from '../controls/types.js';
import { lockStateDir, StateDirLockedError } from '../daemon/state-lock.js';
import { controlEntry } from '../journal/entries.js';
import { Journal } from '../journal/journal.js';
import { silentLogger } from '../log.js';
import { println, type CliIO } from './command.js';

export const CONTROL_OPTIONS = {
  config: { type: 'string' },
  'state-dir': { type: 'string' },
  by: { type: 'string' },
  reason: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const CONTROL_OPTIONS_USAGE = `  --reason TEXT     why (journaled with who and when)
  --by NAME         who (default: the user running the command, and the sudo user)
  --config FILE     configuration to take state.dir from (default $OIO_REPAIRD_CONFIG or
                    /etc/oio-repaird/config.yaml)
  --state-dir DIR   the daemon's state directory (instead of --config)
  --json            print the answer as JSON
  -h, --help        this help

Exit status: 0 done, 1 refused (the answer says why), 2 no daemon answered and the state
could not be changed, 64 bad usage, 78 bad configuration.`;

interface Where {
  readonly stateDir: string;
  readonly journalPath: string;
  readonly maxSuspendMs: number;
}

/** Who runs the command: `alice`, or `alice (sudo, as root)`. */
export function defaultActor(env: NodeJS.ProcessEnv): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = `uid ${process.getuid?.() ?? '?'}`;
  }
  const sudo = env['SUDO_USER'];
  return sudo && sudo !== user ? `${sudo} (sudo, as ${user})` : user;
}

async function where(command: string, values: { config?: string | undefined; 'state-dir'?: string | undefined }, io: CliIO): Promise<Where | number> {
  if (values['state-dir'] !== undefined) {
    const dir = values['state-dir'];
    return { stateDir: dir, journalPath: join(dir, JOURNAL_FILE_NAME), maxSuspendMs: DEFAULT_SUSPEND_MAX_HOURS * 3_600_000 };
  }
  const loaded = await loadConfig(values.config, io.env);
  if (!loaded.ok) {
    println(io.stderr, `oio-repaird ${command}: give --state-dir, or fix the configuration:\n${formatIssues(loaded.errors)}`);
    return EX_CONFIG;
  }
  const c = loaded.config;
  return { stateDir: c.state.dir, journalPath: c.journal.path, maxSuspendMs: c.suspend.maxHours * 3_600_000 };
}

/** Sends `cmd` to the daemon (or applies it when none runs), prints the answer, returns the exit status. */
export async function runControl(command: string, cmd: ControlCommand, values: { config?: string | undefined; 'state-dir'?: string | undefined; json?: boolean | undefined }, io: CliIO): Promise<number> {
  const at = await where(command, values, io);
  if (typeof at === 'number') return at;
  let reply: ControlReply;
  let offline = false;
  try {
    reply = await sendControl(controlSocketPath(at.stateDir), cmd);
  } catch (err) {
    if (!(err instanceof ControlUnreachableError)) {
      println(io.stderr, `oio-repaird ${command}: ${errorMessage(err)}`);
      return 2;
    }
    offline = true;
    try {
      reply = await applyWithoutDaemon(at, cmd);
    } catch (inner) {
      println(io.stderr, `oio-repaird ${command}: ${errorMessage(inner)}`);
      return 2;
    }
  }
  if (values.json) println(io.stdout, JSON.stringify({ ...reply, daemon: offline ? 'not running' : 'running' }));
  else if (reply.ok) {
    println(io.stdout, reply.message);
    println(io.stdout, describeControls(reply.state, systemClock.now()));
    if (offline) println(io.stdout, `(no daemon answers on ${controlSocketPath(at.stateDir)}: saved in ${at.stateDir}; the daemon applies it when it starts)`);
  } else println(io.stderr, `oio-repaird ${command}: refused: ${reply.error}`);
  return reply.ok ? 0 : 1;
}

/** No daemon listens: take the state directory's lock and change the file ourselves. */
async function applyWithoutDaemon(at: Where, cmd: ControlCommand): Promise<ControlReply> {
  const log = silentLogger();
  let lock;
  try {
    lock = await lockStateDir(at.stateDir, log);
  } catch (err) {
    if (err instanceof StateDirLockedError) {
      throw new Error(`a daemon holds ${at.stateDir} but does not answer on its control socket (starting or stopping?): try again in a moment`, { cause: err });
    }
    throw err;
  }
  try {
    const store = new ControlStore(at.stateDir, log);
    const loaded = await store.load();
    if (loaded.kind === 'bad') throw new Error(`${store.path} is ${loaded.bad.problem} (${loaded.bad.error}); the daemon opens the circuit breaker when it starts`);
    const state = loaded.kind === 'restored' ? loaded.state : NO_CONTROLS;
    const now = systemClock.now();
    let applied;
    try {
      applied = applyCommand(state, cmd, now, { maxSuspendMs: at.maxSuspendMs });
    } catch (err) {
      if (err instanceof ControlCommandError) return { ok: false, error: err.message };
      throw err;
    }
    if (applied.event !== null) {
      await store.save(applied.state);
      const journal = await Journal.open(at.journalPath);
      try {
        await journal.append(controlEntry(applied.event));
      } finally {
        await journal.close();
      }
    }
    return { ok: true, message: applied.message, state: applied.state };
  } finally {
    await lock.release();
  }
}
