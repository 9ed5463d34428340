// `oio-repaird demo` (what `npm start` runs): starts the simulator with the demo namespace (the
// seed's missing sys.m2.ctime, a missing and a corrupt slave base, damaged masters, a container
// with two damaged replicas) and the daemon against it on a 10-second schedule, so a newcomer
// sees detection, repair, refusal and the metrics move within seconds. Ctrl-C stops both.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../config/load.js';
import { formatIssues } from '../config/errors.js';
import { createLogger, type Logger } from '../log.js';
import { demoScenario, startSimulator } from '../sim/index.js';
import { intOption, parse } from './args.js';
import { println, type Command } from './command.js';
import { EX_SOFTWARE } from './exit-codes.js';
import { startDaemon } from './run.js';
import { UsageError } from './usage-error.js';

/** Human-readable logs through pino-pretty when it is installed (a dev dependency), else JSON. */
async function demoLogger(json: boolean): Promise<Logger> {
  if (json) return createLogger({ level: 'info' });
  try {
    const pretty = (await import('pino-pretty')).default;
    return createLogger({ level: 'info', journald: false, destination: pretty({ colorize: process.stdout.isTTY, sync: true, ignore: 'levelValue', translateTime: 'HH:MM:ss' }) });
  } catch {
    return createLogger({ level: 'info' });
  }
}

export function demoConfigYaml(proxyUrl: string, namespace: string, stateDir: string, metricsListen: string): string {
  return `# The demo's configuration: a short schedule and small budgets so everything shows quickly.
proxy: { url: "${proxyUrl}", namespace: "${namespace}", requestTimeoutMs: 5000 }
schedule: { cron: "*/10 * * * * *", runAtStart: true }
probe: { concurrency: 8, probesPerSecond: 100, perServiceConcurrency: 4 }
repair: { mode: auto, maxPerSweep: 10, budgetPerHour: 100, cooldownMinutes: 1, verifyDelayMs: 100, awaitMasterTimeoutMs: 5000 }
metrics: { listen: "${metricsListen}" }
state: { dir: "${stateDir}" }
progress: { intervalSeconds: 5 }
`;
}

export const demoCommand: Command = {
  usage: `Usage: oio-repaird demo [--metrics-port PORT] [--json]

Starts the built-in simulated namespace (see \`oio-repaird sim\`) holding the seed's fault
(myaccount/FVE0: one slave lacks sys.m2.ctime) and others, then the daemon against it, sweeping
every 10 seconds. Watch the log, then:
  curl -s http://127.0.0.1:9464/metrics | grep oio_repaird_
Ctrl-C stops both.

Options:
  --metrics-port PORT   port of /metrics (default 9464; 0 picks a free one)
  --json                JSON log lines instead of pretty ones
  -h, --help            this help`,
  async run(argv, io) {
    const { values, positionals } = parse('demo', argv, { 'metrics-port': { type: 'string' }, json: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'demo');
    const port = intOption('demo', 'metrics-port', values['metrics-port'], 9464, 0, 65535);
    const sim = await startSimulator({ scenario: demoScenario() });
    const stateDir = await mkdtemp(join(tmpdir(), 'oio-repaird-demo-'));
    const loaded = parseConfigText(demoConfigYaml(sim.url, sim.namespace, stateDir, `127.0.0.1:${port}`), 'demo', {});
    if (!loaded.ok) {
      await sim.close();
      println(io.stderr, `oio-repaird demo: internal demo configuration is invalid:\n${formatIssues(loaded.errors)}`);
      return EX_SOFTWARE;
    }
    const log = await demoLogger(values.json ?? false);
    println(io.stdout, `Simulated namespace ${sim.namespace} at ${sim.url}; state and journal in ${stateDir}`);
    try {
      const running = await startDaemon(loaded.config, 'demo', {}, log);
      const addr = running.daemon.metricsAddress();
      println(io.stdout, [
        '',
        `  metrics:  curl -s http://127.0.0.1:${addr?.port ?? port}/metrics | grep oio_repaird_`,
        `  check:    node dist/main.js check --proxy ${sim.url} myaccount/FVE0`,
        `  journal:  node dist/main.js journal --file ${join(stateDir, 'journal.jsonl')}`,
        `  faults:   curl -s ${sim.url}/__sim/faults`,
        '  stop:     Ctrl-C',
        '',
      ].join('\n'));
      const code = await running.exited;
      return code;
    } catch (err) {
      log.fatal({ err }, 'the demo daemon could not start');
      if ((err as { code?: unknown }).code === 'REPAIRD_HTTP_LISTEN') {
        println(io.stderr, `oio-repaird demo: port ${port} is busy; try \`node dist/main.js demo --metrics-port 0\` (any free port)`);
      }
      return EX_SOFTWARE;
    } finally {
      await sim.close();
    }
  },
};
