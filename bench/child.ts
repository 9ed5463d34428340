// Child processes of the benchmark (the simulator, the daemon): spawn `node dist/main.js …`,
// wait for a line of its stdout, and stop it by its own pid (SIGTERM, then SIGKILL after a grace).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export class ChildError extends Error {
  readonly code = 'BENCH_CHILD';
}

export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves with the first stdout line matching `re` (rejects if the process exits first). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Calls `listener` with every stdout line from now on. */
  lines(listener: (line: string) => void): void;
  /** Last lines of stderr and stdout, for error messages. */
  tail(): string;
  stop(graceMs?: number): Promise<number | null>;
}

export function spawnNode(args: readonly string[], label: string, nodeFlags: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Child {
  const child = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  if (child.pid === undefined) throw new ChildError(`${label}: could not spawn`);
  const pid = child.pid;
  const recent: string[] = [];
  const remember = (line: string): void => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
  };
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  const listeners: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    remember(line);
    for (const l of listeners) l(line);
    for (let k = waiters.length - 1; k >= 0; k--) {
      const w = waiters[k] as (typeof waiters)[number];
      const m = w.re.exec(line);
      if (m) {
        waiters.splice(k, 1);
        w.resolve(m);
      }
    }
  });
  createInterface({ input: child.stderr }).on('line', remember);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  return {
    pid,
    process: child,
    tail: () => recent.join('\n'),
    lines: (listener) => void listeners.push(listener),
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new ChildError(`${label}: no line matching ${re} within ${timeoutMs} ms\n${recent.join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (m) => { clearTimeout(timer); resolve(m); } });
        void exited.then(([code, signal]) => {
          clearTimeout(timer);
          reject(new ChildError(`${label}: exited (${code ?? signal}) before printing ${re}\n${recent.join('\n')}`));
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
