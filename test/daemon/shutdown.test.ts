import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EX_SOFTWARE, installShutdown, type ProcessLike } from '../../src/daemon/shutdown.js';
import type { Logger } from '../../src/log.js';
import { capturingLogger } from '../helpers/capture-log.js';

class FakeProcess extends EventEmitter implements ProcessLike {
  exitCode: number | string | undefined = undefined;
  readonly exit = vi.fn((_code?: number) => undefined);
}


function setup(onStop: (signal: NodeJS.Signals) => Promise<void> = () => Promise.resolve(), graceMs = 30_000) {
  const proc = new FakeProcess();
  const { log, lines } = capturingLogger();
  const stop = vi.fn(onStop);
  const handle = installShutdown({ log, onStop: stop, graceMs, proc });
  return { proc, lines, stop, handle };
}

/** Lets the promise callbacks queued by the handler run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('installShutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops once on %s and lets the loop drain with exit code 0', async (signal) => {
    const { proc, stop, handle, lines } = setup();
    proc.emit(signal, signal);
    expect(handle.stopping).toBe(true);
    await flush();
    expect(stop).toHaveBeenCalledExactlyOnceWith(signal);
    expect(proc.exitCode).toBe(0);
    expect(proc.exit).not.toHaveBeenCalled();
    expect(lines.map((l) => l['msg'])).toEqual(['stopping', 'stopped']);
  });

  it('exits 1 at once on a second signal without stopping again', async () => {
    let finishStop!: () => void;
    const { proc, stop } = setup(() => new Promise<void>((resolve) => (finishStop = resolve)));
    proc.emit('SIGTERM', 'SIGTERM');
    await flush();
    proc.emit('SIGINT', 'SIGINT');
    expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    expect(stop).toHaveBeenCalledTimes(1);
    finishStop();
  });

  it('exits 70 when stopping outlasts the grace period, and not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { proc } = setup(() => new Promise<void>(() => undefined), 10_000);
    proc.emit('SIGTERM', 'SIGTERM');
    vi.advanceTimersByTime(9_999);
    expect(proc.exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(proc.exit).toHaveBeenCalledExactlyOnceWith(EX_SOFTWARE);
  });

  it('arms a backstop that does not itself keep the process alive', () => {
    const unref = vi.fn();
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation((() => ({ unref })) as unknown as typeof setTimeout);
    const { proc } = setup(() => new Promise<void>(() => undefined));
    proc.emit('SIGTERM', 'SIGTERM');
    const delays = spy.mock.calls.map((call) => call[1]);
    spy.mockRestore();
    expect(delays).toContain(30_000);
    expect(unref).toHaveBeenCalled();
  });

  it('keeps an exit code already set by the daemon', async () => {
    const { proc } = setup(async () => {
      proc.exitCode = 3;
    });
    proc.emit('SIGTERM', 'SIGTERM');
    await flush();
    expect(proc.exitCode).toBe(3);
  });

  it('sets exit code 70 and logs when onStop fails, still without calling exit', async () => {
    const { proc, lines } = setup(() => Promise.reject(new Error('journal close failed')));
    proc.emit('SIGTERM', 'SIGTERM');
    await flush();
    expect(proc.exitCode).toBe(EX_SOFTWARE);
    expect(proc.exit).not.toHaveBeenCalled();
    const logged = lines.find((l) => l['msg'] === 'error while stopping');
    expect((logged?.['err'] as { message: string }).message).toBe('journal close failed');
  });

  it('treats an onStop that throws synchronously like one that rejects', async () => {
    const { proc } = setup(() => {
      throw new Error('sync boom');
    });
    proc.emit('SIGTERM', 'SIGTERM');
    await flush();
    expect(proc.exitCode).toBe(EX_SOFTWARE);
  });

  it('logs an uncaught exception as fatal and exits 70', () => {
    const { proc, lines } = setup();
    proc.emit('uncaughtException', new Error('kaboom'));
    expect(proc.exit).toHaveBeenCalledExactlyOnceWith(EX_SOFTWARE);
    expect(proc.exitCode).toBe(EX_SOFTWARE);
    const fatal = lines.find((l) => l['level'] === 'fatal');
    expect(fatal).toMatchObject({ origin: 'uncaughtException', err: { message: 'kaboom' } });
  });

  it('logs an unhandled rejection as fatal and exits 70', () => {
    const { proc, lines } = setup();
    proc.emit('unhandledRejection', new Error('lost promise'));
    expect(proc.exit).toHaveBeenCalledExactlyOnceWith(EX_SOFTWARE);
    expect(lines.find((l) => l['level'] === 'fatal')).toMatchObject({ origin: 'unhandledRejection' });
  });

  it('removes every listener on uninstall', () => {
    const { proc, handle } = setup();
    handle.uninstall();
    for (const event of ['SIGTERM', 'SIGINT', 'uncaughtException', 'unhandledRejection']) expect(proc.listenerCount(event)).toBe(0);
  });

  it('stops on requestStop as on a signal (a stop held since start-up), once', async () => {
    const { proc, stop, handle } = setup();
    handle.requestStop('SIGTERM');
    await flush();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(stop).toHaveBeenCalledExactlyOnceWith('SIGTERM');
    expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
  });
});
