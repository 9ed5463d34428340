// Spawns the BUILT daemon (dist/main.js, built by the vitest global setup) and watches it from
// the outside: its JSON log lines on stdout, its /metrics, its exit code; plus one-shot CLI runs,
// temporary config files and the journal file. Never sleeps for correctness: every wait polls a
// predicate with a generous deadline (node-daemon-notes §5.2).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import type { JournalEntry } from '../../src/journal/types.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN_JS = join(REPO_ROOT, 'dist', 'main.js');

/** One pino line of the daemon (level is the label: 'info', 'warn', …). */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly time: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

const DEFAULT_WAIT_MS = 20_000;

/** Thrown by a waitUntil probe to stop waiting at once (the awaited thing can no longer happen). */
export class StopWaiting extends Error {}

/** Polls `probe` until it returns something other than undefined/false; throws `what` on timeout. */
export async function waitUntil<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_WAIT_MS);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 25));
  }
}

/** A temporary directory removed when the current test finishes. */
export async function tempDir(prefix = 'oio-repaird-e2e-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Configuration files

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `over` merged into `base` (objects recursively; arrays and scalars replaced). */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  return out;
}

export interface TestConfigBase {
  readonly proxyUrl: string;
  readonly namespace: string;
  readonly stateDir: string;
}

/**
 * A configuration for tests: metrics on an ephemeral port, state in `stateDir`, no probe rate
 * limit, fast verification, one sweep at start and none after (the yearly cron) unless
 * `overrides.schedule.cron` says otherwise.
 */
export function testConfig(base: TestConfigBase, overrides: Plain = {}): Plain {
  const defaults: Plain = {
    proxy: { url: base.proxyUrl, namespace: base.namespace, requestTimeoutMs: 5000 },
    probe: { probesPerSecond: 100_000, concurrency: 16 },
    schedule: { cron: '0 0 1 1 *', runAtStart: true },
    repair: { maxPerSweep: 100_000, budgetPerHour: 100_000, verifyDelayMs: 30, awaitMasterTimeoutMs: 10_000 },
    metrics: { listen: '127.0.0.1:0' },
    state: { dir: base.stateDir },
    progress: { intervalSeconds: 1 },
    shutdown: { graceSeconds: 20 },
  };
  return deepMerge(defaults, overrides);
}

export async function writeYaml(path: string, value: unknown): Promise<string> {
  await writeFile(path, typeof value === 'string' ? value : stringify(value));
  return path;
}

/** A cron expression (with seconds) that fires once a minute, `secondsAhead` seconds from now. */
export function cronInSeconds(secondsAhead: number, now = Date.now()): string {
  const second = Math.floor(now / 1000 + secondsAhead) % 60;
  return `${second} * * * * *`;
}

// ---------------------------------------------------------------------------------------------
// Environment of child processes

/** The parent's environment without anything that would change the daemon's behaviour. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OIO_REPAIRD_') || k === 'JOURNAL_STREAM' || k === 'NOTIFY_SOCKET' || k === 'WATCHDOG_USEC' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// The daemon process

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export class DaemonProcess {
  readonly child: ChildProcess;
  /** Every JSON line of stdout, in order. */
  readonly lines: LogLine[] = [];
  /** Lines of stdout that were not JSON (there should be none). */
  readonly rawLines: string[] = [];
  stderr = '';
  readonly closed: Promise<Exit>;
  private metricsPortValue: number | undefined;
  private exitValue: Exit | undefined;

  /** `nodeArgs` go before the script (e.g. the systemd unit's heap flags). */
  constructor(args: readonly string[], env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, MAIN_JS, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this.child);
    const stdout = this.child.stdout;
    const stderr = this.child.stderr;
    if (!stdout || !stderr) throw new Error('child has no stdout/stderr pipes');
    createInterface({ input: stdout }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as LogLine;
        this.lines.push(parsed);
        if (parsed.msg === 'ready' && typeof parsed['metricsPort'] === 'number') this.metricsPortValue = parsed['metricsPort'];
      } catch {
        this.rawLines.push(line);
      }
    });
    stderr.setEncoding('utf8');
    stderr.on('data', (chunk: string) => (this.stderr += chunk));
    // 'close', not 'exit': on 'exit' the stdio streams may still hold the last lines.
    this.child.on('error', (err) => (this.stderr += `spawn error: ${err.message}\n`));
    this.closed = new Promise<Exit>((resolve) => {
      this.child.on('close', (code, signal) => {
        running.delete(this.child);
        this.exitValue = { code, signal };
        resolve(this.exitValue);
      });
    });
  }

  get exited(): Exit | undefined {
    return this.exitValue;
  }

  get metricsPort(): number {
    if (this.metricsPortValue === undefined) throw new Error('the daemon has not logged its ready line yet');
    return this.metricsPortValue;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}`;
  }

  /** Lines with this msg. */
  logs(msg: string): LogLine[] {
    return this.lines.filter((l) => l.msg === msg);
  }

  /** The last lines, for assertion messages. */
  tail(n = 15): string {
    return [...this.lines.slice(-n).map((l) => JSON.stringify(l)), ...this.rawLines.slice(-5), this.stderr.slice(-2000)].join('\n');
  }

  /**
   * Waits for a log line matching `pred` at index >= `from` (default 0). Fails early, with the
   * log tail, if the daemon exits first.
   */
  async waitForLog(pred: (line: LogLine) => boolean, opts: WaitOptions & { from?: number; what?: string } = {}): Promise<LogLine & { index: number }> {
    const from = opts.from ?? 0;
    const what = opts.what ?? 'a log line';
    try {
      return await waitUntil(what, () => {
        for (let i = from; i < this.lines.length; i++) {
          const line = this.lines[i] as LogLine;
          if (pred(line)) return { ...line, index: i };
        }
        if (this.exitValue) throw new StopWaiting(`the daemon exited (${JSON.stringify(this.exitValue)}) before ${what}`);
        return undefined;
      }, opts);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- daemon output tail ---\n${this.tail()}`);
    }
  }

  /** Waits for the n-th (1-based) line with this msg. */
  async waitForNth(msg: string, n: number, opts: WaitOptions = {}): Promise<LogLine & { index: number }> {
    const what = `log line #${n} "${msg}"`;
    try {
      return await waitUntil(what, () => {
        let seen = 0;
        for (let i = 0; i < this.lines.length; i++) {
          const line = this.lines[i] as LogLine;
          if (line.msg === msg && ++seen === n) return { ...line, index: i };
        }
        if (this.exitValue) throw new StopWaiting(`the daemon exited (${JSON.stringify(this.exitValue)}) before ${what}`);
        return undefined;
      }, opts);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- daemon output tail ---\n${this.tail()}`);
    }
  }

  async get(path: string): Promise<{ status: number; contentType: string | null; body: string }> {
    const res = await fetch(`${this.baseUrl}${path}`);
    return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
  }

  async scrape(): Promise<Metrics> {
    const res = await this.get('/metrics');
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return new Metrics(res.body);
  }

  /** Scrapes until `pred(metrics)` holds; returns that scrape. */
  waitForMetrics(what: string, pred: (m: Metrics) => boolean, opts: WaitOptions = {}): Promise<Metrics> {
    return waitUntil(what, async () => {
      if (this.exitValue) throw new StopWaiting(`the daemon exited (${JSON.stringify(this.exitValue)})`);
      const m = await this.scrape();
      return pred(m) ? m : undefined;
    }, { intervalMs: 50, ...opts }).catch((err: Error) => {
      throw new Error(`${err.message}\n--- daemon output tail ---\n${this.tail()}`);
    });
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** SIGTERM, then the exit once stdout and stderr are closed. */
  async stop(opts: WaitOptions = {}): Promise<Exit> {
    if (!this.exitValue) this.child.kill('SIGTERM');
    return this.waitForExit(opts);
  }

  async waitForExit(opts: WaitOptions = {}): Promise<Exit> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the daemon did not exit within ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Spawns `dist/main.js run --config <configPath>` and waits for its `ready` line. Must be called
 * inside a test: the child is SIGKILLed when the test finishes (a failed assertion must not
 * leave it running).
 */
export async function startDaemon(
  configPath: string,
  opts: { env?: Record<string, string>; readyTimeoutMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<DaemonProcess> {
  const daemon = new DaemonProcess(['run', '--config', configPath], cleanEnv(opts.env), opts.nodeArgs);
  onTestFinished(() => daemon.kill());
  await daemon.waitForLog((l) => l.msg === 'ready', { timeoutMs: opts.readyTimeoutMs ?? DEFAULT_WAIT_MS, what: 'the ready line' });
  return daemon;
}

/** Spawns the daemon without waiting for anything (a process expected to fail at start). */
export function spawnDaemon(args: readonly string[], env: Record<string, string> = {}, nodeArgs: readonly string[] = []): DaemonProcess {
  const daemon = new DaemonProcess(args, cleanEnv(env), nodeArgs);
  onTestFinished(() => daemon.kill());
  return daemon;
}

// ---------------------------------------------------------------------------------------------
// One-shot CLI commands

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `dist/main.js ...args` to completion. */
export function runCli(args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { cwd: REPO_ROOT, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`oio-repaird ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? DEFAULT_WAIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Prometheus exposition

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed /metrics scrape. */
export class Metrics {
  readonly samples: readonly Sample[];

  constructor(readonly text: string) {
    this.samples = parseExposition(text);
  }

  /** Samples of `name` whose labels include `labels`. */
  find(name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** Sum of the matching samples; 0 when none (an untouched labelled counter is absent). */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.find(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  /** The value by one label, e.g. byLabel('oio_repaird_repairs_total', 'outcome'). */
  byLabel(name: string, label: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.find(name)) {
      const key = s.labels[label];
      if (key !== undefined) out[key] = (out[key] ?? 0) + s.value;
    }
    return out;
  }

  /** byLabel without the zero values (prom-client pre-initialises known label values). */
  nonZeroByLabel(name: string, label: string): Record<string, number> {
    return Object.fromEntries(Object.entries(this.byLabel(name, label)).filter(([, v]) => v !== 0));
  }
}

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = m[3] as string;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name: m[1] as string, labels, value });
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------
// The journal file

export async function readJournal(path: string): Promise<JournalEntry[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JournalEntry);
}
