// `oio-repaird sim`: runs the built-in simulated OpenIO namespace (proxy + account service
// routes on one port) until SIGINT/SIGTERM, for trying the daemon and the CLI without a cluster.
import { errorMessage } from '../errors.js';
import { demoScenario, loadScenario, startSimulator, OIO_VERSIONS, type OioVersion, type SimulatorOptions } from '../sim/index.js';
import type { LoadSpec } from '../sim/load.js';
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
  --native               each meta2 service also listens for the native protocol on its own
                         address (its id, a loopback IP:PORT that must be free)
  --seed N               seed of the generator and of the simulator's random choices (default 1)
  --proxy-workers N      load model: requests the proxy serves at once (default: no limit)
  --proxy-service-ms MS  load model: time each proxy request keeps a worker (default 0.2 with --proxy-workers)
  --meta2-workers N      load model: requests each meta2 service serves at once (default: no limit)
  --meta2-service-ms MS  load model: time each meta2 request keeps a worker (default 1 with --meta2-workers)
  --meta2-max-queue-ms MS  meta.queue.max_delay: a longer wait is 503 "Queued for too long" (default 40000)
  --background-rps N     background client traffic, requests per second (POST /__sim/load changes it)
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
      native: { type: 'boolean' },
      'proxy-workers': { type: 'string' },
      'proxy-service-ms': { type: 'string' },
      'meta2-workers': { type: 'string' },
      'meta2-service-ms': { type: 'string' },
      'meta2-max-queue-ms': { type: 'string' },
      'background-rps': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'sim');
    const port = intOption('sim', 'port', values.port, 6006, 0, 65535);
    const opts: { -readonly [K in keyof SimulatorOptions]: SimulatorOptions[K] } = { host: values.host ?? '127.0.0.1', port };
    if (values.ns !== undefined) opts.namespace = values.ns;
    if (values.scenario !== undefined) {
      try {
        opts.scenario = await loadScenario(values.scenario);
      } catch (err) {
        println(io.stderr, `oio-repaird sim: ${errorMessage(err)}`);
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
    if (values.native) opts.native = true;
    if (values.seed !== undefined) opts.seed = intOption('sim', 'seed', values.seed, 1, 0);
    if (!opts.scenario && !opts.generate) opts.scenario = demoScenario();
    const load = loadOptions(values, opts.scenario?.load);
    if (load) opts.load = load;
    let sim;
    try {
      sim = await startSimulator(opts);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? `${opts.host}:${port} is already in use (pick another with --port, or 0 for any free port)` : errorMessage(err);
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

/** The load model from the command line, over the scenario's (src/sim/load.ts). */
function loadOptions(values: Record<string, string | boolean | undefined>, base: LoadSpec | undefined): LoadSpec | undefined {
  const str = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  let load: LoadSpec = base ?? {};
  if (str('proxy-workers') !== undefined || str('proxy-service-ms') !== undefined) {
    load = { ...load, proxy: {
      workers: intOption('sim', 'proxy-workers', str('proxy-workers'), load.proxy?.workers ?? 64, 1, 100_000),
      serviceMs: numberOption('sim', 'proxy-service-ms', str('proxy-service-ms'), load.proxy?.serviceMs ?? 0.2, 0, 60_000),
    } };
  }
  if (str('meta2-workers') !== undefined || str('meta2-service-ms') !== undefined || str('meta2-max-queue-ms') !== undefined) {
    const maxQueue = str('meta2-max-queue-ms');
    load = { ...load, meta2: {
      workers: intOption('sim', 'meta2-workers', str('meta2-workers'), load.meta2?.workers ?? 10, 1, 100_000),
      serviceMs: numberOption('sim', 'meta2-service-ms', str('meta2-service-ms'), load.meta2?.serviceMs ?? 1, 0, 60_000),
      ...(maxQueue !== undefined ? { maxQueueMs: intOption('sim', 'meta2-max-queue-ms', maxQueue, 40_000, 1, 3_600_000) } : load.meta2?.maxQueueMs !== undefined ? { maxQueueMs: load.meta2.maxQueueMs } : {}),
    } };
  }
  if (str('background-rps') !== undefined) load = { ...load, backgroundRps: numberOption('sim', 'background-rps', str('background-rps'), 0, 0, 1_000_000) };
  return Object.keys(load).length > 0 ? load : undefined;
}
