// The parent's side of undici-child.ts: forks the bare-undici process once per benchmark run
// (it warms up once, as the sweep's process does) and sends it one replay order at a time.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CeilingResult } from './ceiling.js';
import type { ReplayAnswer, ReplayOrder } from './undici-child.js';

export interface UndiciProcess {
  replay(order: ReplayOrder): Promise<CeilingResult>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./undici-child.js', import.meta.url));

export function forkUndici(): UndiciProcess {
  const child: ChildProcess = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending: { resolve: (r: CeilingResult) => void; reject: (e: Error) => void } | undefined;
  const fail = (why: string): void => {
    const p = pending;
    pending = undefined;
    p?.reject(new Error(`bare-undici process: ${why}`));
  };
  child.on('message', (answer: ReplayAnswer) => {
    const p = pending;
    pending = undefined;
    if (answer.ok) p?.resolve(answer.result);
    else p?.reject(new Error(`bare-undici process: ${answer.error}`));
  });
  child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
  child.on('error', (err) => fail(err.message));
  return {
    replay(order) {
      if (pending) return Promise.reject(new Error('bare-undici process: one replay at a time'));
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        child.send(order);
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
