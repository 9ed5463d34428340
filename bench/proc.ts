// Reads what the benchmark needs from /proc (Linux): a process's resident memory (current and
// peak), its CPU time, and the machine's description for BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';

export interface MemoryReading {
  /** VmRSS: resident set now, bytes. */
  readonly rssBytes: number;
  /** VmHWM: peak resident set since the process started, bytes. */
  readonly hwmBytes: number;
}

/** VmRSS and VmHWM of a process, or null when it is gone. */
export function readMemory(pid: number): MemoryReading | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process so far, or null when it is gone. */
export function readCpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** CPU use of a process between start() and stop(), as a share of one core. */
export class CpuMeter {
  private cpu0 = 0;
  private t0 = 0;

  constructor(private readonly pid: number) {}

  start(): void {
    this.cpu0 = readCpuSeconds(this.pid) ?? 0;
    this.t0 = performance.now();
  }

  /** Share of one core used since start() (1.0 = one core saturated). */
  stop(): number {
    const cpu = (readCpuSeconds(this.pid) ?? this.cpu0) - this.cpu0;
    const seconds = (performance.now() - this.t0) / 1000;
    return seconds > 0 ? cpu / seconds : 0;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores; idle and iowait excluded). */
export function readMachineBusySeconds(): number {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
    const [, user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * What else ran during a measurement: machine-wide busy cores minus those of the measured
 * processes. On a shared machine a high value means the figures were squeezed by neighbours.
 */
export class MachineMeter {
  private busy0 = 0;
  private t0 = 0;

  start(): void {
    this.busy0 = readMachineBusySeconds();
    this.t0 = performance.now();
  }

  /** Busy cores, machine-wide, since start(). */
  stop(): number {
    const seconds = (performance.now() - this.t0) / 1000;
    return seconds > 0 ? (readMachineBusySeconds() - this.busy0) / seconds : 0;
  }
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly nproc: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = (m[1] as string).trim();
  } catch {
    // not Linux: os.cpus() is good enough
  }
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    nproc: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel,
  };
}

export interface CpuShares {
  /** Cores used by this process (the client being measured). */
  readonly client: number;
  /** Of which in user space (JS, GC, parsing) and in the kernel (socket syscalls, loopback TCP). */
  readonly clientUser: number;
  readonly clientSystem: number;
  /** Cores used by the simulator process. */
  readonly sim: number;
  /** Cores busy machine-wide. */
  readonly machine: number;
  /** Cores used by everything else (neighbours on a shared machine). */
  readonly other: number;
}

/** Starts the CPU meters of a measurement; the returned function stops them. */
export function startCpuMeters(simPid: number): () => CpuShares {
  const sim = new CpuMeter(simPid);
  const machine = new MachineMeter();
  sim.start();
  machine.start();
  // This process's own CPU from getrusage (microseconds, user and kernel apart) rather than
  // /proc's 10 ms ticks.
  const usage0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const usage = process.cpuUsage(usage0);
    const seconds = (performance.now() - t0) / 1e3;
    const cores = (micros: number): number => (seconds > 0 ? micros / 1e6 / seconds : 0);
    const clientUser = cores(usage.user);
    const clientSystem = cores(usage.system);
    const client = clientUser + clientSystem;
    const shares = { client, clientUser, clientSystem, sim: sim.stop(), machine: machine.stop() };
    return { ...shares, other: Math.max(0, shares.machine - shares.client - shares.sim) };
  };
}
