// `oio-repaird explain ACCOUNT/CONTAINER [--json]`: what the daemon would do with one container
// right now, and why, without changing anything: a read-only probe (reference/show,
// get_properties, has, status, debug), the plan, and every gate read from the configuration and
// the daemon's state directory (windows, budget, cooldown, hold), each with its reason code.
import { systemClock } from '../clock.js';
import { readDaemonState } from '../decisions/state-reader.js';
import { explain, type Explanation } from '../decisions/explain.js';
import { explainGates } from '../decisions/gates.js';
import { loadConfig } from '../config/load.js';
import { runtimeOptions } from '../config/runtime.js';
import { EX_CONFIG, formatIssues } from '../config/errors.js';
import { escapeControl as esc } from '../escape.js';
import { planRepair } from '../repair/plan.js';
import { CONTAINER_OPTIONS, CONTAINER_OPTIONS_USAGE, parse } from './args.js';
import { exitCodeFor, requiredKeys } from './check.js';
import { println, type Command } from './command.js';
import { EX_UNSUPPORTED_PROXY } from './exit-codes.js';
import { formatPlan, formatReport, table } from './format.js';
import { adaptToProxyLine, openProxy, printUnsupportedProxy } from './proxy.js';
import { containerTarget } from './target.js';
import { openTransport } from './transport.js';

export function formatExplanation(e: Explanation, text: { report: string; plan: string }, stateDir: string): string {
  const rows = e.gates.map((g) => [g.gate, g.blocks ? 'BLOCKS' : 'open', g.code, g.detail, g.until ?? '']);
  return [
    text.report,
    text.plan,
    `Gates (state ${esc(stateDir)}, at ${e.at}):`,
    table(['Gate', 'Now', 'Code', 'Detail', 'Until'], rows),
    `Decision: ${e.decision.action} (${e.decision.code}) — ${esc(e.decision.reason)}`,
  ].join('\n');
}

export const explainCommand: Command = {
  usage: `Usage: oio-repaird explain ACCOUNT/CONTAINER [options]
       oio-repaird explain --cid CID [options]

Shows, without changing anything, what the daemon would do with the container right now and
why: each replica's state, the verdict, the plan, and every gate that applies (time window,
repair mode, hold, cooldown or backoff with its end time, per-sweep and per-hour budgets), each
with its reason code, then the decision. Only read requests are sent (reference/show,
get_properties, has, status, debug); the daemon's state directory is read, never written, and
its lock is not taken, so it runs beside the daemon.

The proxy, namespace, required keys, transport, repair policy, windows and state directory
come from the configuration; the options below override the first four.

Options:
  --config FILE          configuration file (default $OIO_REPAIRD_CONFIG or /etc/oio-repaird/config.yaml)
${CONTAINER_OPTIONS_USAGE}

Exit status: 0 healthy, 1 damaged (whatever the decision), 2 could not tell (error, a replica
unseen), 64 bad usage, 76 unsupported proxy, 78 bad configuration.`,
  async run(argv, io) {
    const { values, positionals } = parse('explain', argv, { ...CONTAINER_OPTIONS, config: { type: 'string' } });
    const ref = containerTarget('explain', positionals, values.cid);
    const loaded = await loadConfig(values.config, io.env);
    if (!loaded.ok) {
      println(io.stderr, `oio-repaird explain: invalid configuration:\n${formatIssues(loaded.errors)}`);
      return EX_CONFIG;
    }
    const config = loaded.config;
    const keys = values['required-keys'] !== undefined ? requiredKeys(values['required-keys']) : config.probe.requiredKeys;
    const opened = openProxy('explain', {
      proxy: values.proxy ?? config.proxy.url,
      ns: values.ns ?? config.proxy.namespace,
      timeout: values.timeout ?? String(config.proxy.requestTimeoutMs),
    }, io.env);
    const transport = openTransport('explain', { transport: values.transport ?? config.probe.transport, ...(values.timeout !== undefined ? { timeout: values.timeout } : {}) }, opened);
    try {
      const line = await adaptToProxyLine('explain', opened, ref, transport.name, keys, io, config.proxy.oioVersion);
      if (typeof line === 'number') return line;
      const report = await transport.probe(ref, { ...line, alwaysElection: true });
      if (report.error?.code === 'OIO_UNSUPPORTED_PROXY') {
        printUnsupportedProxy('explain', opened.url, report.error, io);
        return EX_UNSUPPORTED_PROXY;
      }
      const now = systemClock.now();
      const plan = planRepair(report);
      const state = await readDaemonState(config.state.dir);
      const gates = explainGates({ policy: runtimeOptions(config).policy, windows: config.schedule.windows, timezone: config.schedule.timezone, blackouts: config.schedule.blackouts, stallSkipAfter: config.sweep.stallSkipAfter, state, report, now });
      const explanation = explain({ report, plan, gates, now });
      if (values.json) println(io.stdout, JSON.stringify(explanation, null, 2));
      else println(io.stdout, formatExplanation(explanation, { report: formatReport(report), plan: formatPlan(plan) }, config.state.dir));
      return exitCodeFor(report);
    } finally {
      await transport.close();
      await opened.close();
    }
  },
};
