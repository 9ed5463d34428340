// (d) Peak memory of the real daemon process while it sweeps a large lazily generated namespace:
// the simulator and the daemon (`node dist/main.js run --config …`) each run in a process of
// their own; the daemon's VmRSS/VmHWM are sampled from /proc and its progress from /metrics.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNode, type Child } from './child.js';
import { readMemory } from './proc.js';
import { MAIN_JS, startSimProcess, type SimProcess } from './sim-process.js';

export interface MemoryOptions {
  readonly containers: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly perServiceConcurrency: number;
  readonly maxSeconds: number;
  readonly stopWhenFlat: boolean;
  readonly flatWindow: number;
  readonly cpuProfDir: string | null;
  /** Extra node flags for the daemon (e.g. --max-semi-space-size=4), to try a memory setting. */
  readonly nodeFlags: readonly string[];
  /** The daemon's environment on top of this process's (the unit's MALLOC_ARENA_MAX). */
  readonly env: Readonly<Record<string, string>>;
  /** Called with a progress line now and then. */
  readonly progress: (line: string) => void;
}

export interface MemorySample {
  readonly seconds: number;
  readonly done: number;
  readonly rssBytes: number;
  readonly hwmBytes: number;
  /** The daemon's own V8 figures from /metrics (prom-client default metrics), to explain the RSS. */
  readonly heapTotalBytes: number;
  readonly heapUsedBytes: number;
  readonly newSpaceBytes: number;
  readonly oldSpaceBytes: number;
  readonly externalBytes: number;
}

export interface MemoryResult {
  readonly namespaceContainers: number;
  readonly swept: number;
  /** completed | flat (stopped early, RSS flat) | time-limit */
  readonly ended: 'completed' | 'flat' | 'time-limit';
  readonly seconds: number;
  /** Containers per second of the spawned daemon (its own process, probesPerSecond 100000). */
  readonly containersPerSecond: number;
  /** Highest VmHWM/VmRSS seen while sweeping (VmHWM alone may read lower than an earlier sample). */
  readonly peakRssBytes: number;
  /** Highest VmHWM while fewer than 50 000 containers were done (start-up and warm-up). */
  readonly earlyPeakRssBytes: number;
  /** RSS and peak every ~50 000 containers. */
  readonly curve: readonly MemorySample[];
  /** The sample with the highest RSS (with its heap figures). */
  readonly peakSample: MemorySample;
  readonly nodeFlags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly simPeakRssBytes: number;
}

const SAMPLE_MS = 500;
const CURVE_STEP = 50_000;

/** Reads a few gauges from a Prometheus text exposition. */
export function gauge(text: string, name: string, labels = ''): number | undefined {
  const m = new RegExp(`^${name}${labels.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** True when the peak RSS grew by at most 2 % (and 2 MiB) over the last `window` containers. */
export function isFlat(samples: readonly MemorySample[], window: number): boolean {
  const last = samples[samples.length - 1];
  if (!last || last.done < 2 * window) return false;
  const before = samples.filter((s) => s.done <= last.done - window);
  const peakBefore = Math.max(0, ...before.map(peakOf));
  const peakNow = Math.max(...samples.map(peakOf));
  return peakNow <= Math.max(peakBefore * 1.02, peakBefore + 2 * 2 ** 20);
}

export async function runMemoryPhase(opts: MemoryOptions): Promise<MemoryResult> {
  const root = await mkdtemp(join(tmpdir(), 'oio-repaird-bench-mem-'));
  let sim: SimProcess | undefined;
  let daemon: Child | undefined;
  try {
    sim = await startSimProcess(opts.containers);
    const config = {
      proxy: { url: sim.url, namespace: sim.namespace, connections: opts.connections },
      account: { url: sim.url },
      // The configuration cannot say "unlimited": 100 000/s is far above what one core sweeps.
      probe: { concurrency: opts.concurrency, probesPerSecond: 100_000, perServiceConcurrency: opts.perServiceConcurrency },
      metrics: { listen: '127.0.0.1:0' },
      state: { dir: join(root, 'state') },
      progress: { intervalSeconds: 60 },
      log: { level: 'info' },
    };
    const configPath = join(root, 'config.yaml');
    await writeFile(configPath, JSON.stringify(config, null, 2)); // JSON is YAML
    const nodeFlags = [...opts.nodeFlags, ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [])];
    daemon = spawnNode([MAIN_JS, 'run', '--config', configPath], 'daemon', nodeFlags, opts.env);
    const ready = await daemon.waitForLine(/"metricsPort":(\d+)/, 30_000);
    const metricsUrl = `http://127.0.0.1:${ready[1]}/metrics`;

    const t0 = performance.now();
    const samples: MemorySample[] = [];
    let simPeak = 0;
    let ended: MemoryResult['ended'] = 'time-limit';
    let sawSweep = false;
    let lastReport = 0;
    for (;;) {
      await sleep(SAMPLE_MS);
      const seconds = (performance.now() - t0) / 1000;
      const text = await (await fetch(metricsUrl)).text();
      const done = gauge(text, 'oio_repaird_sweep_progress_containers') ?? 0;
      const inProgress = gauge(text, 'oio_repaird_sweep_in_progress') ?? 0;
      const completed = gauge(text, 'oio_repaird_sweeps_total', '{result="completed"}') ?? 0;
      const mem = readMemory(daemon.pid);
      if (!mem) throw new Error(`the daemon exited during the memory phase\n${daemon.tail()}`);
      simPeak = Math.max(simPeak, readMemory(sim.child.pid)?.hwmBytes ?? 0);
      if (inProgress === 1) sawSweep = true;
      samples.push({
        seconds,
        done,
        ...mem,
        heapTotalBytes: gauge(text, 'nodejs_heap_size_total_bytes') ?? 0,
        heapUsedBytes: gauge(text, 'nodejs_heap_size_used_bytes') ?? 0,
        newSpaceBytes: gauge(text, 'nodejs_heap_space_size_total_bytes', '{space="new"}') ?? 0,
        oldSpaceBytes: gauge(text, 'nodejs_heap_space_size_total_bytes', '{space="old"}') ?? 0,
        externalBytes: gauge(text, 'nodejs_external_memory_bytes') ?? 0,
      });
      if (seconds - lastReport >= 30) {
        lastReport = seconds;
        const last = samples[samples.length - 1] as MemorySample;
        opts.progress(`  memory: ${done} containers swept in ${seconds.toFixed(0)} s, RSS ${mib(mem.rssBytes)} MiB, peak ${mib(mem.hwmBytes)} MiB (heap ${mib(last.heapTotalBytes)}: new ${mib(last.newSpaceBytes)}, old ${mib(last.oldSpaceBytes)}; external ${mib(last.externalBytes)})`);
      }
      if (completed >= 1 || (sawSweep && inProgress === 0)) {
        ended = 'completed';
        break;
      }
      if (opts.stopWhenFlat && isFlat(samples, opts.flatWindow)) {
        ended = 'flat';
        break;
      }
      if (seconds >= opts.maxSeconds) break;
    }
    const last = samples[samples.length - 1] as MemorySample;
    // A completed sweep's last gauge value is the namespace size.
    const swept = ended === 'completed' ? Math.max(last.done, opts.containers) : last.done;
    const firstActive = samples.find((s) => s.done > 0) ?? last;
    const curve: MemorySample[] = [];
    for (const s of samples) {
      const step = curve.length === 0 ? 0 : Math.floor((curve[curve.length - 1] as MemorySample).done / CURVE_STEP) + 1;
      if (s.done >= step * CURVE_STEP && (curve.length > 0 || s.done > 0)) curve.push(s);
    }
    if (curve[curve.length - 1] !== last) curve.push(last);
    return {
      namespaceContainers: opts.containers,
      swept,
      ended,
      seconds: last.seconds,
      containersPerSecond: (last.done - firstActive.done) / Math.max(1e-9, last.seconds - firstActive.seconds),
      peakRssBytes: Math.max(...samples.map(peakOf)),
      earlyPeakRssBytes: Math.max(0, ...samples.filter((s) => s.done < CURVE_STEP).map(peakOf)),
      curve,
      peakSample: samples.reduce((a, b) => (b.rssBytes > a.rssBytes ? b : a)),
      nodeFlags,
      env: opts.env,
      simPeakRssBytes: simPeak,
    };
  } finally {
    await daemon?.stop(30_000);
    await sim?.close();
    await rm(root, { recursive: true, force: true });
  }
}

function peakOf(s: MemorySample): number {
  return Math.max(s.rssBytes, s.hwmBytes);
}

export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
