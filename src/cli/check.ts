// `oio-repaird check ACCOUNT/CONTAINER`: probes every replica of one container and prints
// a per-peer table (or --json). Exit 0 healthy, 1 damaged, 2 could not tell (error, peer unseen).
import { escapeControl as esc } from '../escape.js';
import { DEFAULT_REQUIRED_KEYS, type ContainerReport } from '../probe/types.js';
import { CONTAINER_OPTIONS, CONTAINER_OPTIONS_USAGE, parse } from './args.js';
import { println, type Command } from './command.js';
import { formatReport } from './format.js';
import { adaptToProxyLine, openProxy, printUnsupportedProxy } from './proxy.js';
import { openTransport } from './transport.js';
import { containerTarget } from './target.js';
import { EX_DAMAGED, EX_ERROR, EX_OK, EX_UNSUPPORTED_PROXY } from './exit-codes.js';

export function exitCodeFor(report: ContainerReport): number {
  if (report.error?.code === 'OIO_UNSUPPORTED_PROXY') return EX_UNSUPPORTED_PROXY;
  switch (report.verdict) {
    case 'healthy': return EX_OK;
    case 'unknown': return EX_ERROR;
    default: return EX_DAMAGED;
  }
}

/** --required-keys a,b,c (default: the keys every healthy meta2 base holds). */
export function requiredKeys(value: string | undefined): readonly string[] {
  if (value === undefined) return DEFAULT_REQUIRED_KEYS;
  return value.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
}

export const checkCommand: Command = {
  usage: `Usage: oio-repaird check ACCOUNT/CONTAINER [options]
       oio-repaird check --cid CID [options]

Reads the admin table of each meta2 replica one by one, asks the election who is master,
and prints one row per peer: role, base, health, missing keys; then the verdict.
ACCOUNT/CONTAINER is split at the first slash.

Options:
${CONTAINER_OPTIONS_USAGE}

Exit status: 0 healthy, 1 damaged (repairable or not), 2 error or a replica could not be seen, 64 bad usage,
76 the proxy does not honour service_id (4.2.x/4.3.x) and --transport is proxy: nothing is probed through it.`,
  async run(argv, io) {
    const { values, positionals } = parse('check', argv, {
      ...CONTAINER_OPTIONS,
    });
    const ref = containerTarget('check', positionals, values.cid);
    const keys = requiredKeys(values['required-keys']);
    const opened = openProxy('check', values, io.env);
    const transport = openTransport('check', values, opened);
    try {
      const line = await adaptToProxyLine('check', opened, ref, transport.name, keys, io);
      if (typeof line === 'number') return line;
      const report = await transport.probe(ref, { ...line, alwaysElection: true });
      if (report.error?.code === 'OIO_UNSUPPORTED_PROXY') {
        printUnsupportedProxy('check', opened.url, report.error, io);
        return EX_UNSUPPORTED_PROXY;
      }
      println(io.stdout, values.json ? JSON.stringify(report, null, 2) : formatReport(report));
      if (report.error && !values.json) println(io.stderr, `error: ${report.error.code}: ${esc(report.error.message)}`);
      return exitCodeFor(report);
    } finally {
      await transport.close();
      await opened.close();
    }
  },
};
