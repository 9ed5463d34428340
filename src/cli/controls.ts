// `oio-repaird suspend`, `resume` and `breaker`: the operator's controls over a running daemon,
// through its local control socket (see control-client.ts). Argument parsing and output only.
import { parseDuration } from '../controls/commands.js';
import { parse } from './args.js';
import type { Command } from './command.js';
import { CONTROL_OPTIONS, CONTROL_OPTIONS_USAGE, defaultActor, runControl } from './control-client.js';
import { UsageError } from './usage-error.js';

function noPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, command);
}

export const suspendCommand: Command = {
  usage: `Usage: oio-repaird suspend --for DURATION --reason TEXT [options]

Suspends automatic repair on the running daemon: no mutating request (sync, leave,
set_properties) is sent until DURATION has passed or \`oio-repaird resume\`. Probing and
reporting go on (suspend.probe: false pauses the sweep too). The suspension is saved in the
state directory before the daemon acts on it, survives restarts, and is journaled with who,
why and until when. A new suspend replaces the one in force. When no daemon runs, the state
file is changed directly and the daemon applies it when it starts.

Options:
  --for DURATION    how long: 90s, 30m, 2h, 1d, 1h30m (at most suspend.maxHours)
${CONTROL_OPTIONS_USAGE}`,
  async run(argv, io) {
    const { values, positionals } = parse('suspend', argv, { ...CONTROL_OPTIONS, for: { type: 'string' } });
    noPositionals('suspend', positionals);
    if (values.for === undefined) throw new UsageError('--for DURATION is required (e.g. --for 2h)', 'suspend');
    const forMs = parseDuration(values.for);
    if (forMs === null) throw new UsageError(`--for: ${JSON.stringify(values.for)} is not a duration such as 90s, 30m, 2h, 1d or 1h30m`, 'suspend');
    if (values.reason === undefined || values.reason.trim() === '') throw new UsageError('--reason TEXT is required: it is journaled with the suspension', 'suspend');
    const by = values.by ?? defaultActor(io.env);
    return runControl('suspend', { op: 'suspend', forMs, reason: values.reason, by }, values, io);
  },
};

export const resumeCommand: Command = {
  usage: `Usage: oio-repaird resume [options]

Ends the suspension in force (journaled with who and why); repairs start again with the
next container the sweep probes. Nothing happens when repairs are not suspended.

Options:
${CONTROL_OPTIONS_USAGE}`,
  async run(argv, io) {
    const { values, positionals } = parse('resume', argv, CONTROL_OPTIONS);
    noPositionals('resume', positionals);
    const by = values.by ?? defaultActor(io.env);
    return runControl('resume', { op: 'resume', reason: values.reason ?? 'resumed by hand', by }, values, io);
  },
};

export const breakerCommand: Command = {
  usage: `Usage: oio-repaird breaker status|reset [options]

status  prints the circuit breaker (open: since when, why, on what counts) and the suspension
reset   closes an open circuit breaker (journaled with who and why); its damage counts start
        again from zero, so it opens again if the damage is still there

Options:
${CONTROL_OPTIONS_USAGE}`,
  async run(argv, io) {
    const { values, positionals } = parse('breaker', argv, CONTROL_OPTIONS);
    const [action, ...rest] = positionals;
    noPositionals('breaker', rest);
    if (action === 'status') return runControl('breaker', { op: 'status' }, values, io);
    if (action === 'reset') {
      const by = values.by ?? defaultActor(io.env);
      return runControl('breaker', { op: 'breaker-reset', reason: values.reason ?? 'reset by hand', by }, values, io);
    }
    throw new UsageError(action === undefined ? 'say status or reset' : `unknown action ${JSON.stringify(action)}: say status or reset`, 'breaker');
  },
};
