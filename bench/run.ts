// `npm run bench`: measures the daemon against the simulator on loopback, in one run —
// (a) the raw undici ceiling, (b) the sweep's rate, (c) their ratio, (d) the daemon's peak RSS
// over a million lazily generated containers, (e) proxy requests per healthy container, (f) how
// closely probesPerSecond and perServiceConcurrency hold, (j) our own CPU per container without a socket, (i) fleet mode with 1, 2 and 3 members — then prints a table and writes JSON.
// Sizes and durations: see options.ts (`npm run bench -- --help`).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GeneratedNamespace } from '../src/sim/generator.js';
import { mib, runMemoryPhase } from './memory.js';
import { runAdaptivePhase } from './adaptive.js';
import { runFleetPhase } from './fleet.js';
import { runOverheadPhase } from './overhead.js';
import { BenchUsageError, USAGE, parseOptions, type BenchOptions } from './options.js';
import { type CpuShares, machineInfo } from './proc.js';
import { type BenchResult, type CeilingRun, type RatioRound, formatTable, summariseCeiling, summariseRatio, targetRows } from './report.js';
import { startSimProcess } from './sim-process.js';
import { accountPicker, checkRate, checkServiceCap, requestsPerContainer, timedSweep } from './sweeps.js';
import { selfProfiler } from './self-profile.js';
import { createSweepHarness } from './wiring.js';
import { runTransportsPhase } from './transports.js';
import type { ReplayOrder } from './undici-child.js';
import { forkUndici } from './undici-process.js';

const SEED = 1;
/** Unmeasured sweeps (and bare-undici replays) of the two warm-up accounts before the rounds. */
const WARMUP_SWEEPS = 10;
/** Generated namespaces put 1000 containers in each account (src/sim/generator.ts). */
const CONTAINERS_PER_ACCOUNT = 1000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** How the client's CPU splits between user space and the kernel. */
function userShare(cpu: CpuShares): string {
  return cpu.client > 0 ? `${Math.round((cpu.clientUser / cpu.client) * 100)} % user` : 'no CPU';
}

async function throughputPhases(opts: BenchOptions, result: BenchResult): Promise<void> {
  const generated = new GeneratedNamespace({ containers: opts.containers, damagedShare: 0, seed: SEED }, 'OPENIO');
  const replicas = generated.replicas;
  say(`simulator: ${opts.containers.toLocaleString('en-US')} generated containers, ${generated.services.length} meta2 services, ${replicas} replicas (separate process)`);
  const accounts = accountPicker((a) => generated.accountName(a), generated.accountCount);
  const sim = await startSimProcess(opts.containers, SEED);
  try {
    const harness = await createSweepHarness({ url: sim.url, namespace: sim.namespace, connections: opts.connections });
    try {
      const base = { concurrency: opts.concurrency, perServiceConcurrency: opts.perServiceConcurrency };
      const wantCeiling = opts.only.includes('ceiling');
      const wantSweep = opts.only.includes('sweep');
      if (wantCeiling || wantSweep) {
        // Warm-up (JIT, sockets, simulator) over two accounts, not measured, ten times: V8 is still
        // optimising the daemon's code over its first ~20,000 containers (measured alone, a fresh
        // process's sweep costs 67 then 62 then 55 µs per request over 5,000-container slices),
        // and the daemon runs for months: the rounds measure its steady state.
        for (let i = 0; i < WARMUP_SWEEPS; i++) await harness.run({ ...base, probesPerSecond: 0, filter: { names: accounts(2) } });
      }
      if (wantCeiling) {
        if (opts.selfProfDir !== null) await mkdir(opts.selfProfDir, { recursive: true });
        const profiler = selfProfiler(opts.selfProfDir);
        const runs: CeilingRun[] = [];
        const rounds: RatioRound[] = [];
        const accountsPerSlice = Math.max(1, Math.round(opts.ratioSliceContainers / CONTAINERS_PER_ACCOUNT));
        const sliceAccounts = (round: number): number[] => Array.from({ length: accountsPerSlice }, (_, k) => (2 + (round - 1) * accountsPerSlice + k) % generated.accountCount);
        // The bare-undici side runs in a process of its own (undici-child.ts), so that neither
        // side's JIT state is disturbed by the other's; each side is still warmed up again,
        // unmeasured, right before it is measured (the other side's run may have left garbage).
        const undici = forkUndici();
        const order = (accountsToReplay: readonly number[], inFlight: number, profile?: string): ReplayOrder => ({
          url: sim.url, namespace: sim.namespace, containers: opts.containers, seed: SEED, accounts: accountsToReplay,
          connections: opts.connections, inFlight, simPid: sim.child.pid,
          ...(profile !== undefined && opts.selfProfDir !== null ? { profile: { dir: opts.selfProfDir, name: profile } } : {}),
        });
        const warmUndici = (): Promise<unknown> => undici.replay(order([0, 1], opts.concurrency * replicas));
        const warmSweep = (): Promise<unknown> => harness.run({ ...base, probesPerSecond: 0, filter: { names: accounts(2) } });
        try {
          for (let i = 0; i < WARMUP_SWEEPS; i++) await warmUndici();
          for (let round = 1; round <= opts.ratioRounds; round++) {
            // Exactly the requests the sweep of this round's slice sends (R+1 per healthy container),
            // by bare undici: as many in flight as the sweep (concurrency × R), and one per socket.
            const best: CeilingRun[] = [];
            await warmUndici();
            for (const inFlight of [opts.concurrency * replicas, opts.connections]) {
              const run = await undici.replay(order(sliceAccounts(round), inFlight, `round${round}-undici${inFlight}`));
              say(`(a) round ${round}: raw undici, ${run.requests} requests, ${inFlight} in flight / ${opts.connections} sockets: ${Math.round(run.requestsPerSecond)} req/s, ${run.clientCpuMicrosPerRequest.toFixed(1)} µs client CPU/req (${userShare(run.cpu)}), cores client ${run.cpu.client.toFixed(2)} sim ${run.cpu.sim.toFixed(2)} others ${run.cpu.other.toFixed(2)}`);
              best.push({ round, ...run });
            }
            runs.push(...best);
            if (!wantSweep) continue;
            const names = sliceAccounts(round).map((a) => generated.accountName(a));
            await warmSweep();
            const slice = await profiler.around(`round${round}-sweep`, () => timedSweep(harness, sim, { ...base, probesPerSecond: 0, filter: { names } }));
            const ceiling = best.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
            const bestCpu = Math.min(...best.map((r) => r.clientCpuMicrosPerRequest));
            rounds.push({
              round,
              ceilingRequestsPerSecond: ceiling.requestsPerSecond,
              sweepProxyRequestsPerSecond: slice.proxyRequestsPerSecond,
              sweepContainersPerSecond: slice.containersPerSecond,
              ratio: slice.proxyRequestsPerSecond / ceiling.requestsPerSecond,
              ceilingClientCpuMicrosPerRequest: bestCpu,
              sweepClientCpuMicrosPerRequest: slice.clientCpuMicrosPerRequest,
              cpuRatio: slice.clientCpuMicrosPerRequest / bestCpu,
              sweepOtherCores: slice.cpu.other,
            });
            say(`(c) round ${round}: sweep of ${slice.containers} containers (${slice.proxyRequests} proxy requests): ${Math.round(slice.proxyRequestsPerSecond)} proxy req/s, ${slice.clientCpuMicrosPerRequest.toFixed(1)} µs client CPU/req (${userShare(slice.cpu)}), cores client ${slice.cpu.client.toFixed(2)} sim ${slice.cpu.sim.toFixed(2)} others ${slice.cpu.other.toFixed(2)}: ratio ${(slice.proxyRequestsPerSecond / ceiling.requestsPerSecond).toFixed(2)}, CPU/req ${(slice.clientCpuMicrosPerRequest / bestCpu).toFixed(2)} × bare undici`);
          }
        } finally {
          await undici.close();
        }
        result.ceiling = summariseCeiling(runs);
        if (rounds.length > 0) result.ratio = summariseRatio(rounds);
      }
      if (wantSweep) {
        say(`(b) sweep: runSweep in process with the daemon's wiring over all ${opts.containers.toLocaleString('en-US')} containers, probesPerSecond 0 (unlimited), concurrency ${opts.concurrency}, perServiceConcurrency ${opts.perServiceConcurrency}`);
        const sweep = await timedSweep(harness, sim, { ...base, probesPerSecond: 0 });
        const { stats: _stats, ...rest } = sweep;
        result.sweep = rest;
        say(`    ${sweep.containers} containers in ${sweep.seconds.toFixed(1)} s: ${Math.round(sweep.containersPerSecond)} containers/s, ${Math.round(sweep.proxyRequestsPerSecond)} proxy req/s (${sweep.result}), ${sweep.clientCpuMicrosPerRequest.toFixed(0)} µs client CPU/req, cores client ${sweep.cpu.client.toFixed(2)} sim ${sweep.cpu.sim.toFixed(2)} others ${sweep.cpu.other.toFixed(2)}`);
        result.requestsPerContainer = requestsPerContainer(sweep, replicas);
      }
      if (opts.only.includes('limits')) {
        result.rateLimits = [];
        for (const limit of opts.rateLimits) {
          say(`(f) probesPerSecond ${limit} for ~${opts.rateSeconds} s`);
          const check = await checkRate(harness, sim, limit, opts.rateSeconds, base, CONTAINERS_PER_ACCOUNT, accounts);
          say(`    ${check.containers} containers at ${check.achieved.toFixed(1)}/s (steady ${check.steadyAchieved.toFixed(1)}/s)`);
          result.rateLimits.push(check);
        }
        say(`(f) perServiceConcurrency ${opts.capPerService}, every service slowed by ${opts.capSlowMs} ms per read`);
        result.serviceCap = await checkServiceCap(harness, sim, generated.services, replicas, {
          cap: opts.capPerService, slowMs: opts.capSlowMs, concurrency: opts.concurrency, containers: opts.capContainers, containersPerAccount: CONTAINERS_PER_ACCOUNT, accounts,
        });
        say(`    max containers per service: ${JSON.stringify(result.serviceCap.maxContainersPerService)}; simulator max in flight: ${JSON.stringify(result.serviceCap.simMaxInFlightPerService)}`);
      }
    } finally {
      await harness.close();
    }
  } finally {
    await sim.close();
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    say(USAGE);
    return 0;
  }
  let opts: BenchOptions;
  try {
    opts = parseOptions(argv, process.env);
  } catch (err) {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
      return 64;
    }
    throw err;
  }
  const started = performance.now();
  const machine = machineInfo();
  say(`oio-repaird benchmark on ${machine.cpuModel}, ${machine.nproc} cores, node ${machine.node}`);
  const result: BenchResult = {
    date: new Date().toISOString(),
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    machine,
    options: opts,
    replicas: new GeneratedNamespace({ containers: 1 }, 'OPENIO').replicas,
    targets: [],
    durationSeconds: 0,
  };
  if (opts.only.some((p) => p === 'ceiling' || p === 'sweep' || p === 'limits')) await throughputPhases(opts, result);
  if (opts.only.includes('overhead')) {
    say(`(j) overhead: our own CPU per container, ${opts.overheadContainers.toLocaleString('en-US')} containers recorded once from the simulator, then swept ${opts.overheadSweeps} times with every answer replayed from memory`);
    result.overhead = await runOverheadPhase({
      containers: opts.overheadContainers, sweeps: opts.overheadSweeps, concurrency: opts.concurrency, connections: opts.connections,
      perServiceConcurrency: opts.perServiceConcurrency, progress: say,
    });
  }
  if (opts.only.includes('transports')) {
    say(`(g) transports: the same sweep through the proxy and natively, alternating, ${opts.transportRounds} rounds of ${opts.transportContainers.toLocaleString('en-US')} containers each`);
    result.transports = await runTransportsPhase({
      concurrency: opts.concurrency, connections: opts.connections, perServiceConcurrency: opts.perServiceConcurrency,
      rounds: opts.transportRounds, containersPerRound: opts.transportContainers, progress: say,
    });
    for (const t of result.transports.summary) {
      say(`    ${t.transport}: ${Math.round(t.replicaProbesPerSecond)} replica probes/s, ${t.clientCpuMicrosPerReplicaProbe.toFixed(1)} µs client CPU per replica probe (medians)`);
    }
  }
  if (opts.only.includes('adaptive')) {
    await mkdir(dirname(opts.adaptiveSvg), { recursive: true });
    result.adaptive = await runAdaptivePhase({ phaseSeconds: opts.adaptiveSeconds, concurrency: opts.concurrency, connections: opts.connections, svgPath: opts.adaptiveSvg, progress: say });
  }
  if (opts.only.includes('memory')) {
    say(`(d) memory: daemon process sweeping ${opts.memContainers.toLocaleString('en-US')} generated containers (simulator in another process), at most ${opts.memMaxSeconds} s; node ${opts.memNodeFlags.join(' ')}, ${Object.entries(opts.memEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    result.memory = await runMemoryPhase({
      containers: opts.memContainers,
      concurrency: opts.concurrency,
      connections: opts.connections,
      perServiceConcurrency: opts.perServiceConcurrency,
      maxSeconds: opts.memMaxSeconds,
      stopWhenFlat: opts.memStopWhenFlat,
      flatWindow: opts.memFlatWindow,
      cpuProfDir: opts.cpuProfDir,
      nodeFlags: opts.memNodeFlags,
      env: opts.memEnv,
      progress: say,
    });
    say(`    ${result.memory.ended}: ${result.memory.swept} containers, peak RSS ${mib(result.memory.peakRssBytes)} MiB`);
  }
  if (opts.only.includes('fleet')) {
    say(`(i) fleet: 1, 2 and 3 built daemons, one simulator process and a standalone ZooKeeper; sizes ${opts.fleetSizes.join(', ')}`);
    result.fleet = await runFleetPhase({
      containers: opts.fleetContainers, probesPerSecond: opts.fleetProbesPerSecond, concurrency: opts.fleetConcurrency, sizes: opts.fleetSizes, progress: say,
    });
  }
  result.targets = targetRows(result);
  (result as { durationSeconds: number }).durationSeconds = (performance.now() - started) / 1000;
  say('');
  say(formatTable(result.targets));
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFile(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  say(`\nresult written to ${opts.out} (${result.durationSeconds.toFixed(0)} s)`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
