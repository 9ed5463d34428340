import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SdNotify, watchdogIntervalMs } from '../../src/daemon/sd-notify.js';
import type { Logger } from '../../src/log.js';
import { capturingLogger } from '../helpers/capture-log.js';

let dir: string;
let recorder: string;
let record: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'repaird-notify-'));
  record = join(dir, 'record.txt');
  recorder = join(dir, 'notify.sh');
  // Stands in for systemd-notify: one line per call with the socket it was told to use and its arguments.
  await writeFile(recorder, '#!/bin/sh\nprintf "%s|%s\\n" "$NOTIFY_SOCKET" "$*" >> "$RECORD_FILE"\n');
  await chmod(recorder, 0o755);
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});


async function recorded(): Promise<string[]> {
  try {
    return (await readFile(record, 'utf8')).split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

function notifier(env: NodeJS.ProcessEnv = {}, command?: string) {
  const { log, lines } = capturingLogger();
  const sd = new SdNotify({ log, env: { NOTIFY_SOCKET: '/run/fake.sock', RECORD_FILE: record, PATH: process.env['PATH'], ...env }, ...(command ? { command } : { command: recorder }) });
  return { sd, lines };
}

describe('SdNotify', () => {
  it('does nothing outside systemd (no NOTIFY_SOCKET)', async () => {
    const { log } = capturingLogger();
    const sd = new SdNotify({ log, env: { RECORD_FILE: record, WATCHDOG_USEC: '1000000' }, command: recorder });
    expect(sd.enabled).toBe(false);
    await sd.ready('up');
    await sd.status('x');
    await sd.stopping();
    expect(sd.startWatchdog(() => true)).toBe(false);
    expect(await recorded()).toEqual([]);
  });

  it('sends READY=1 with a status through the notifier, passing NOTIFY_SOCKET along', async () => {
    const { sd } = notifier();
    await sd.ready('config loaded, 3 accounts');
    expect(await recorded()).toEqual(['/run/fake.sock|READY=1 STATUS=config loaded, 3 accounts']);
  });

  it('delivers messages in call order without the caller awaiting each', async () => {
    const { sd } = notifier();
    void sd.ready();
    void sd.status('sweep 10%');
    void sd.reloading();
    void sd.ready('reloaded');
    void sd.stopping();
    await sd.settled();
    const lines = (await recorded()).map((l) => l.split('|')[1]);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('READY=1');
    expect(lines[1]).toBe('STATUS=sweep 10%');
    expect(lines[2]).toMatch(/^RELOADING=1 MONOTONIC_USEC=\d+$/);
    expect(lines[3]).toBe('READY=1 STATUS=reloaded');
    expect(lines[4]).toBe('STOPPING=1');
  });

  it('flattens a multi-line status so it cannot inject another variable', async () => {
    const { sd } = notifier();
    await sd.status('line one\nREADY=1');
    expect(await recorded()).toEqual(['/run/fake.sock|STATUS=line one READY=1']);
  });

  it('takes the notifier from OIO_REPAIRD_NOTIFY_COMMAND when no command is given', async () => {
    const { log } = capturingLogger();
    const sd = new SdNotify({ log, env: { NOTIFY_SOCKET: '/s', RECORD_FILE: record, OIO_REPAIRD_NOTIFY_COMMAND: recorder } });
    expect(sd.command).toBe(recorder);
    await sd.watchdog();
    expect(await recorded()).toEqual(['/s|WATCHDOG=1']);
    expect(new SdNotify({ log, env: {} }).command).toBe('/usr/bin/systemd-notify');
  });

  it('never throws when the notifier cannot be spawned, and warns only once', async () => {
    const { sd, lines } = notifier({}, join(dir, 'no-such-notifier'));
    await expect(sd.ready()).resolves.toBeUndefined();
    await expect(sd.status('a')).resolves.toBeUndefined();
    await expect(sd.stopping()).resolves.toBeUndefined();
    const warnings = lines.filter((l) => l['level'] === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.['msg']).toMatch(/systemd notification failed/);
    expect(lines.filter((l) => l['msg'] === 'systemd notification failed again')).toHaveLength(2);
  });

  it('treats a notifier that exits non-zero as a failure, and warns again after a recovery', async () => {
    const failing = join(dir, 'failing.sh');
    await writeFile(failing, '#!/bin/sh\n[ -f "$RECORD_FILE.ok" ] && exit 0\necho "No such file" >&2\nexit 1\n');
    await chmod(failing, 0o755);
    const { sd, lines } = notifier({}, failing);
    await sd.ready();
    await writeFile(`${record}.ok`, '');
    await sd.status('fine');
    await rm(`${record}.ok`);
    await sd.status('broken again');
    const warnings = lines.filter((l) => l['level'] === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]?.['stderr']).toBe('No such file');
  });
});

describe('watchdog', () => {
  it('pings at half WATCHDOG_USEC only for this process', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 42)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '42' }, 42)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '43' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeUndefined();
  });

  it('sends WATCHDOG=1 every interval while the daemon is healthy', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { sd } = notifier({ WATCHDOG_USEC: '2000000' });
    expect(sd.startWatchdog(() => true)).toBe(true);
    vi.advanceTimersByTime(1000);
    await sd.settled();
    vi.advanceTimersByTime(1000);
    await sd.settled();
    expect(await recorded()).toEqual(['/run/fake.sock|WATCHDOG=1', '/run/fake.sock|WATCHDOG=1']);
    sd.stop();
  });

  it('withholds pings while unhealthy, resumes when healthy, and stops on stop()', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { sd, lines } = notifier({ WATCHDOG_USEC: '2000000' });
    let healthy = false;
    const isHealthy = vi.fn(() => healthy);
    sd.startWatchdog(isHealthy);
    vi.advanceTimersByTime(3000);
    await sd.settled();
    expect(isHealthy).toHaveBeenCalledTimes(3);
    expect(await recorded()).toEqual([]);
    expect(lines.filter((l) => l['msg'] === 'daemon unhealthy: withholding systemd watchdog pings')).toHaveLength(1);

    healthy = true;
    vi.advanceTimersByTime(1000);
    await sd.settled();
    expect(await recorded()).toEqual(['/run/fake.sock|WATCHDOG=1']);

    sd.stop();
    vi.advanceTimersByTime(5000);
    await sd.settled();
    expect(isHealthy).toHaveBeenCalledTimes(4);
    expect(await recorded()).toHaveLength(1);
  });

  it('treats a throwing health check as unhealthy', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { sd, lines } = notifier({ WATCHDOG_USEC: '2000000' });
    sd.startWatchdog(() => {
      throw new Error('heartbeat store gone');
    });
    vi.advanceTimersByTime(1000);
    await sd.settled();
    expect(await recorded()).toEqual([]);
    expect(lines.some((l) => l['level'] === 'error')).toBe(true);
    sd.stop();
  });

  it('does not start without WATCHDOG_USEC', () => {
    const { sd } = notifier();
    expect(sd.startWatchdog(() => true)).toBe(false);
  });
});
