// `oio-repaird check-config`: loads and validates the configuration exactly as `run` and SIGHUP
// do (the same loadRunnableConfig: the file, then the host: state dir, journal, listen address),
// prints every problem (file:line:col, setting, value, reason) and exits 78 (EX_CONFIG) on any,
// 0 otherwise. systemd runs it in ExecStartPre= and ExecReload=.
import { loadRunnableConfig } from '../config/preflight.js';
import { EX_CONFIG, formatIssues } from '../config/errors.js';
import { parse } from './args.js';
import { println, type Command } from './command.js';
import { UsageError } from './usage-error.js';

export const checkConfigCommand: Command = {
  usage: `Usage: oio-repaird check-config [--config FILE] [--quiet]

Reads FILE (default $OIO_REPAIRD_CONFIG or /etc/oio-repaird/config.yaml), applies the
OIO_REPAIRD_* environment overrides and validates the result, then checks what \`run\` needs
from this host: state.dir and journal.path writable by this user, metrics.listen an address
of this host. Prints one line per problem with file:line:col, the setting, the value and the
reason.

Options:
  --config FILE   configuration file
  --quiet         print nothing when the configuration is valid
  -h, --help      this help

Exit status: 0 valid, 78 invalid (EX_CONFIG), 64 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parse('check-config', argv, { config: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'check-config');
    const result = await loadRunnableConfig(values.config, io.env);
    if (!result.ok) {
      println(io.stderr, `oio-repaird: invalid configuration:\n${formatIssues(result.errors)}`);
      return EX_CONFIG;
    }
    if (!values.quiet) println(io.stdout, `${result.source}: configuration is valid`);
    return 0;
  },
};
