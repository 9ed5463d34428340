// The benchmark's knobs: every size and duration can be set by a `--name=value` flag or the
// matching BENCH_NAME environment variable (flag wins), so a quick run and a full run are the
// same program. Defaults keep one full run under ~10 minutes on a 2-core machine.
import { shippedDaemon } from './unit.js';

/** The daemon process as the systemd unit starts it: the memory phase measures that one. */
const SHIPPED = shippedDaemon();

export const PHASES = ['ceiling', 'sweep', 'limits', 'overhead', 'transports', 'adaptive', 'memory', 'fleet'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  /** Generated containers of the throughput namespace (phases ceiling, sweep, limits). */
  readonly containers: number;
  /** Sweep concurrency (daemon default: probe.concurrency 16). */
  readonly concurrency: number;
  /** Sockets to the proxy (daemon default: proxy.connections 16). */
  readonly connections: number;
  /** Per-service cap of the throughput sweep (daemon default: probe.perServiceConcurrency 4). */
  readonly perServiceConcurrency: number;
  /** Ceiling/sweep pairs measured for the ratio (median taken: neighbours come and go). */
  readonly ratioRounds: number;
  /** Containers of the sweep slice of each ratio round. */
  readonly ratioSliceContainers: number;
  /** probesPerSecond limits checked (containers/s achieved vs limit). */
  readonly rateLimits: readonly number[];
  /** Seconds each rate-limited sweep should take at its limit. */
  readonly rateSeconds: number;
  /** Per-service cap checked, with every meta2 service slowed by capSlowMs per read. */
  readonly capPerService: number;
  readonly capSlowMs: number;
  /** Containers swept in the per-service cap check. */
  readonly capContainers: number;
  /** Containers of the memory namespace (separate simulator and daemon processes). */
  readonly memContainers: number;
  /** The memory phase stops after this long even if the sweep is not finished. */
  readonly memMaxSeconds: number;
  /** Stop the memory phase early once RSS is flat over the last memFlatWindow containers. */
  readonly memStopWhenFlat: boolean;
  readonly memFlatWindow: number;
  /** Phase (g): alternating proxy/native sweeps, and the containers of each. */
  /** Containers of the overhead phase's recorded slice, and the replayed sweeps measured. */
  readonly overheadContainers: number;
  readonly overheadSweeps: number;
  readonly transportRounds: number;
  readonly transportContainers: number;
  /** Length of each phase of the adaptive-pace run (fixed; quiet; background; quiet). */
  readonly adaptiveSeconds: number;
  /** Where the adaptive run's plot (SVG) goes. */
  readonly adaptiveSvg: string;
  /** Phase (i), fleet mode: namespace size, and each member's probesPerSecond and concurrency. */
  readonly fleetContainers: number;
  readonly fleetProbesPerSecond: number;
  readonly fleetConcurrency: number;
  /** The fleet sizes measured (1 is needed for the ratio). */
  readonly fleetSizes: readonly number[];
  /** Phases to run (default all). */
  readonly only: readonly Phase[];
  /** Where the JSON result goes. */
  readonly out: string;
  /** Extra node flags for the spawned daemon, space separated (e.g. "--max-semi-space-size=4"). */
  readonly memNodeFlags: readonly string[];
  /** Environment of the spawned daemon, on top of this process's (the unit's Environment=). */
  readonly memEnv: Readonly<Record<string, string>>;
  /** Run the spawned daemon under `node --cpu-prof` (profile written to this directory). */
  readonly cpuProfDir: string | null;
  /** Profile each bare-undici replay and sweep slice of the ratio rounds apart (this directory). */
  readonly selfProfDir: string | null;
}

export const DEFAULTS: BenchOptions = {
  containers: 50_000,
  concurrency: 16,
  connections: 16,
  perServiceConcurrency: 4,
  ratioRounds: 5,
  ratioSliceContainers: 10_000,
  rateLimits: [500, 1000],
  rateSeconds: 8,
  capPerService: 2,
  capSlowMs: 5,
  capContainers: 3_000,
  memContainers: 1_000_000,
  memMaxSeconds: 540,
  memStopWhenFlat: false,
  memFlatWindow: 200_000,
  adaptiveSeconds: 20,
  adaptiveSvg: 'bench/results/adaptive.svg',
  // The heap flags of deploy/systemd/oio-repaird.service's ExecStart: measure what ships.
  memNodeFlags: SHIPPED.nodeFlags,
  memEnv: SHIPPED.env,
  overheadContainers: 5_000,
  overheadSweeps: 7,
  transportRounds: 3,
  transportContainers: 5_000,
  fleetContainers: 20_000,
  fleetProbesPerSecond: 400,
  fleetConcurrency: 8,
  fleetSizes: [1, 2, 3],
  only: PHASES,
  out: 'bench/results/latest.json',
  cpuProfDir: null,
  selfProfDir: null,
};

export class BenchUsageError extends Error {
  readonly code = 'BENCH_USAGE';
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function envName(name: string): string {
  return `BENCH_${kebab(name).replace(/-/g, '_').toUpperCase()}`;
}

function positiveNumber(name: string, raw: string, integer: boolean): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new BenchUsageError(`--${kebab(name)} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Parses `--name=value` flags over BENCH_* variables over the defaults. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new BenchUsageError(`unexpected argument ${JSON.stringify(arg)} (flags are --name=value)`);
    flags.set(m[1] as string, m[2] ?? 'true');
  }
  const known = new Set(Object.keys(DEFAULTS).map(kebab));
  for (const name of flags.keys()) if (!known.has(name)) throw new BenchUsageError(`unknown flag --${name}`);

  const raw = (name: keyof BenchOptions): string | undefined => {
    const v = flags.get(kebab(name)) ?? env[envName(name)];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: keyof BenchOptions, dflt: number): number => {
    const v = raw(name);
    return v === undefined ? dflt : positiveNumber(name, v, true);
  };
  const num = (name: keyof BenchOptions, dflt: number): number => {
    const v = raw(name);
    return v === undefined ? dflt : positiveNumber(name, v, false);
  };
  const bool = (name: keyof BenchOptions, dflt: boolean): boolean => {
    const v = raw(name);
    return v === undefined ? dflt : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
  };
  const only = raw('only')?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [...PHASES];
  for (const p of only) if (!(PHASES as readonly string[]).includes(p)) throw new BenchUsageError(`--only: unknown phase ${p} (${PHASES.join(', ')})`);
  const limits = raw('rateLimits')?.split(',').map((s) => positiveNumber('rateLimits', s.trim(), false)) ?? DEFAULTS.rateLimits;

  return {
    containers: int('containers', DEFAULTS.containers),
    concurrency: int('concurrency', DEFAULTS.concurrency),
    connections: int('connections', DEFAULTS.connections),
    perServiceConcurrency: int('perServiceConcurrency', DEFAULTS.perServiceConcurrency),
    ratioRounds: int('ratioRounds', DEFAULTS.ratioRounds),
    ratioSliceContainers: int('ratioSliceContainers', DEFAULTS.ratioSliceContainers),
    rateLimits: limits,
    rateSeconds: num('rateSeconds', DEFAULTS.rateSeconds),
    capPerService: int('capPerService', DEFAULTS.capPerService),
    capSlowMs: int('capSlowMs', DEFAULTS.capSlowMs),
    capContainers: int('capContainers', DEFAULTS.capContainers),
    memContainers: int('memContainers', DEFAULTS.memContainers),
    memMaxSeconds: num('memMaxSeconds', DEFAULTS.memMaxSeconds),
    memStopWhenFlat: bool('memStopWhenFlat', DEFAULTS.memStopWhenFlat),
    memFlatWindow: int('memFlatWindow', DEFAULTS.memFlatWindow),
    adaptiveSeconds: num('adaptiveSeconds', DEFAULTS.adaptiveSeconds),
    adaptiveSvg: raw('adaptiveSvg') ?? DEFAULTS.adaptiveSvg,
    memNodeFlags: raw('memNodeFlags')?.split(/\s+/).filter((f) => f !== '') ?? DEFAULTS.memNodeFlags,
    memEnv: raw('memEnv') === undefined ? DEFAULTS.memEnv : envOf(raw('memEnv') as string),
    overheadContainers: int('overheadContainers', DEFAULTS.overheadContainers),
    overheadSweeps: int('overheadSweeps', DEFAULTS.overheadSweeps),
    transportRounds: int('transportRounds', DEFAULTS.transportRounds),
    transportContainers: int('transportContainers', DEFAULTS.transportContainers),
    fleetContainers: int('fleetContainers', DEFAULTS.fleetContainers),
    fleetProbesPerSecond: num('fleetProbesPerSecond', DEFAULTS.fleetProbesPerSecond),
    fleetConcurrency: int('fleetConcurrency', DEFAULTS.fleetConcurrency),
    fleetSizes: raw('fleetSizes')?.split(',').map((s) => positiveNumber('fleetSizes', s.trim(), true)) ?? DEFAULTS.fleetSizes,
    only: only as Phase[],
    out: raw('out') ?? DEFAULTS.out,
    cpuProfDir: raw('cpuProfDir') ?? null,
    selfProfDir: raw('selfProfDir') ?? null,
  };
}

export const USAGE = `Usage: npm run bench -- [--name=value ...]   (or BENCH_NAME=value npm run bench)

Flags (defaults in brackets):
  --containers=N               throughput namespace size [${DEFAULTS.containers}]
  --concurrency=N              sweep concurrency [${DEFAULTS.concurrency}]
  --connections=N              proxy sockets [${DEFAULTS.connections}]
  --per-service-concurrency=N  per-service cap of the throughput sweep [${DEFAULTS.perServiceConcurrency}]
  --ratio-rounds=N             bare-undici/sweep rounds on the same requests [${DEFAULTS.ratioRounds}]
  --ratio-slice-containers=N   containers swept in each pair [${DEFAULTS.ratioSliceContainers}]
  --rate-limits=A,B            probesPerSecond limits checked [${DEFAULTS.rateLimits.join(',')}]
  --rate-seconds=S             length of each rate-limited sweep [${DEFAULTS.rateSeconds}]
  --cap-per-service=N          per-service cap checked [${DEFAULTS.capPerService}]
  --cap-slow-ms=MS             per-read delay of every service in that check [${DEFAULTS.capSlowMs}]
  --cap-containers=N           containers swept in that check [${DEFAULTS.capContainers}]
  --mem-containers=N           memory namespace size [${DEFAULTS.memContainers}]
  --mem-max-seconds=S          memory phase time limit [${DEFAULTS.memMaxSeconds}]
  --mem-stop-when-flat=BOOL    stop once RSS is flat over the last window [${DEFAULTS.memStopWhenFlat}]
  --mem-flat-window=N          that window, in containers [${DEFAULTS.memFlatWindow}]
  --mem-node-flags="F ..."     node flags for the spawned daemon [the unit's ExecStart: ${SHIPPED.nodeFlags.join(' ')}]
  --mem-env="K=V ..."          its environment on top of this one [the unit's Environment=: ${Object.entries(SHIPPED.env).map(([k, v]) => `${k}=${v}`).join(' ')}]
  --overhead-containers=N      (j) containers recorded once, then swept from memory [${DEFAULTS.overheadContainers}]
  --overhead-sweeps=N          replayed sweeps measured (after 3 unmeasured) [${DEFAULTS.overheadSweeps}]
  --transport-rounds=N         (g) alternating proxy/native sweeps [${DEFAULTS.transportRounds}]
  --transport-containers=N     containers of each of those sweeps [${DEFAULTS.transportContainers}]
  --adaptive-seconds=S         length of each adaptive-pace phase [${DEFAULTS.adaptiveSeconds}]
  --adaptive-svg=FILE          the adaptive run's plot [${DEFAULTS.adaptiveSvg}]
  --fleet-containers=N         (i) fleet namespace size [${DEFAULTS.fleetContainers}]
  --fleet-probes-per-second=R  (i) probesPerSecond of each member [${DEFAULTS.fleetProbesPerSecond}]
  --fleet-concurrency=N        (i) probe concurrency of each member [${DEFAULTS.fleetConcurrency}]
  --fleet-sizes=1,2,3          (i) fleet sizes measured [${DEFAULTS.fleetSizes.join(',')}]
  --only=a,b                   phases: ${PHASES.join(',')} [all]
  --out=FILE                   JSON result [${DEFAULTS.out}]
  --cpu-prof-dir=DIR           run the spawned daemon under node --cpu-prof
  --self-prof-dir=DIR          profile each replay and sweep slice of the ratio rounds apart
                               (DIR/round<N>-undici<inFlight>.cpuprofile, DIR/round<N>-sweep.cpuprofile;
                               summarise with node dist-bench/bench/profile-summary.js FILE)`;

/** `K=V K2=V2` as an environment. */
function envOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new BenchUsageError(`--mem-env: ${JSON.stringify(word)} is not NAME=VALUE`);
    env[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return env;
}
