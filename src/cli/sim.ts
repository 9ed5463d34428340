// `oio-repaird sim`: runs the built-in simulated OpenIO namespace (proxy + account service
// routes on one port) until SIGINT/SIGTERM, for trying the daemon and the CLI without a cluster.
import { demoScenario, loadScenario, startSimulator, OIO_VERSIONS, type OioVersion, type SimulatorOptions } from '../sim/index.js';
import { intOption, numberOption, parse } from './args.js';
import { println, type Command } from './command.js';
import { EX_CONFIG, EX_ERROR } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** Resolves on the first SIGINT/SIGTERM; the handlers are removed afterwards. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export const simCommand: Command = {
  name: 'sim',
  summary: 'run the simulated OpenIO namespace (proxy and account service)',
  usage: `Usage: oio-repaird sim [options]

Serves the OpenIO proxy routes (/v3.0/{NS}/…), the account service routes (/v1.0/account/…)
and control routes (/__sim/faults, /__sim/stats, /__sim/truth?cid=, POST /__sim/inject)
until interrupted. Without --scenario or --generate it serves the demo namespace.

Options:
  --host HOST            listen address (default 127.0.0.1)
  --port PORT            listen port (default 6006; 0 picks a free one)
  --ns NAME              namespace (default OPENIO, or the scenario's)
  --scenario FILE        YAML scenario: services, containers, faults (see src/sim/scenarios/demo.yaml)
  --generate N           generate N containers lazily (seeded), e.g. 100000
  --damaged-share X      share of generated containers with a fault, 0..1 (default 0.01)
  --oio-version V        oio-sds line to impersonate: master (default), 7, 5, 4.4 or 4.2 (its
                         proxy's answers and parameters, its bases' admin keys, its account service)
  --no-account-service   no account service in the conscience (conscience/list?type=account: 404, 453)
  --seed N               seed of the generator and of the simulator's random choices (default 1)
  -h, --help             this help`,
  async run(argv, io) {
    const { values, positionals } = parse('sim', argv, {
      host: { type: 'string' },
      port: { type: 'string' },
      ns: { type: 'string' },
      scenario: { type: 'string' },
      generate: { type: 'string' },
      'damaged-share': { type: 'string' },
      seed: { type: 'string' },
      'oio-version': { type: 'string' },
      'no-account-service': { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'sim');
    const port = intOption('sim', 'port', values.port, 6006, 0, 65535);
    const opts: { -readonly [K in keyof SimulatorOptions]: SimulatorOptions[K] } = { host: values.host ?? '127.0.0.1', port };
    if (values.ns !== undefined) opts.namespace = values.ns;
    if (values.scenario !== undefined) {
      try {
        opts.scenario = await loadScenario(values.scenario);
      } catch (err) {
        println(io.stderr, `oio-repaird sim: ${err instanceof Error ? err.message : String(err)}`);
        return EX_CONFIG;
      }
    }
    if (values.generate !== undefined) {
      opts.generate = {
        containers: intOption('sim', 'generate', values.generate, 0, 1, 100_000_000),
        damagedShare: numberOption('sim', 'damaged-share', values['damaged-share'], 0.01, 0, 1),
        seed: intOption('sim', 'seed', values.seed, 1, 0),
      };
    }
    const version = values['oio-version'];
    if (version !== undefined) {
      if (!(OIO_VERSIONS as readonly string[]).includes(version)) throw new UsageError(`--oio-version must be one of ${OIO_VERSIONS.join(', ')}, not ${JSON.stringify(version)}`, 'sim');
      opts.oioVersion = version as OioVersion;
    }
    if (values['no-account-service']) opts.accountService = false;
    if (values.seed !== undefined) opts.seed = intOption('sim', 'seed', values.seed, 1, 0);
    if (!opts.scenario && !opts.generate) opts.scenario = demoScenario();
    let sim;
    try {
      sim = await startSimulator(opts);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? `${opts.host}:${port} is already in use (pick another with --port, or 0 for any free port)` : err instanceof Error ? err.message : String(err);
      println(io.stderr, `oio-repaird sim: cannot listen: ${why}`);
      return EX_ERROR;
    }
    println(io.stdout, `oio-repaird sim: namespace ${sim.namespace} listening on ${sim.url}`);
    println(io.stdout, `  try: oio-repaird check --proxy ${sim.url} --ns ${sim.namespace} myaccount/FVE0`);
    const signal = await untilSignal();
    println(io.stdout, `oio-repaird sim: ${signal}, stopping`);
    await sim.close();
    return 0;
  },
};
