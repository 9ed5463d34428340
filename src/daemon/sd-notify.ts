// systemd notification (sd_notify) for Type=notify: READY=1, STATUS=, RELOADING=1, STOPPING=1
// and WATCHDOG=1 pings.
//
// Why a child process: sd_notify is one AF_UNIX datagram to $NOTIFY_SOCKET, and Node has no
// AF_UNIX SOCK_DGRAM socket (dgram rejects 'unix_dgram'; removed in Node 0.5, requests to bring
// it back closed: nodejs/node#30059, #61933). The addons that do it (unix-dgram, sd-notify) need
// a compiler at install time, which the project rules out. So each message spawns
// /usr/bin/systemd-notify with VARIABLE=VALUE arguments. That needs NotifyAccess=all in the
// unit, since the sender is a child, not the main PID. The old race where PID 1 could not
// attribute a message from an already-exited systemd-notify (systemd/systemd#2737) is gone:
// systemd-notify now waits on a BARRIER=1 until PID 1 has processed the message. Spawning costs
// a few milliseconds per message; we send a handful per minute.
//
// Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op. Nothing here throws: a failed
// spawn is logged (a warning once per run of failures) and the daemon carries on, because
// losing a status update must never stop a repair. Messages are sent one at a time, in call
// order, so READY=1 never overtakes the RELOADING=1 before it.
import { kernelMonotonicMicros } from '../clock.js';
import { execFile } from 'node:child_process';
import type { Logger } from '../log.js';

export const DEFAULT_NOTIFY_COMMAND = '/usr/bin/systemd-notify';
export const NOTIFY_COMMAND_ENV = 'OIO_REPAIRD_NOTIFY_COMMAND';

export interface SdNotifyOptions {
  readonly log: Logger;
  /** Where NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID and the command override are read (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** The notifier to spawn (default: $OIO_REPAIRD_NOTIFY_COMMAND, else /usr/bin/systemd-notify). */
  readonly command?: string;
  /** A notifier that has not finished by then is killed (default 5000 ms). */
  readonly timeoutMs?: number;
}

/**
 * Half the watchdog period systemd asked for (WATCHDOG_USEC), in milliseconds, or undefined when
 * there is no watchdog for this process (unset, invalid, or WATCHDOG_PID names another process).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number = process.pid): number | undefined {
  const usecText = env['WATCHDOG_USEC'];
  if (usecText === undefined || !/^\d+$/.test(usecText)) return undefined;
  const watchdogPid = env['WATCHDOG_PID'];
  if (watchdogPid !== undefined && watchdogPid !== '' && watchdogPid !== String(pid)) return undefined;
  const usec = Number(usecText);
  if (usec <= 0) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

export class SdNotify {
  /** False outside systemd (no NOTIFY_SOCKET): every method is then a no-op. */
  readonly enabled: boolean;
  readonly command: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  #chain: Promise<void> = Promise.resolve();
  #failing = false;
  #watchdogTimer: NodeJS.Timeout | undefined;
  #watchdogPending = false;
  #unhealthy = false;

  constructor(opts: SdNotifyOptions) {
    this.#env = opts.env ?? process.env;
    this.#log = opts.log;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    const socket = this.#env['NOTIFY_SOCKET'];
    this.enabled = socket !== undefined && socket !== '';
    const fromEnv = this.#env[NOTIFY_COMMAND_ENV];
    this.command = opts.command ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_NOTIFY_COMMAND);
  }

  /** READY=1: start-up finished (or a reload did), with an optional status line. */
  ready(status?: string): Promise<void> {
    return this.notify(status === undefined ? ['READY=1'] : ['READY=1', `STATUS=${oneLine(status)}`]);
  }

  /** STATUS=: the line `systemctl status` shows, e.g. "sweep 41% (1203/2930 containers)". */
  status(text: string): Promise<void> {
    return this.notify([`STATUS=${oneLine(text)}`]);
  }

  /** STOPPING=1: shutdown has begun. */
  stopping(): Promise<void> {
    return this.notify(['STOPPING=1']);
  }

  /** RELOADING=1 (send ready() when the reload is done). MONOTONIC_USEC is required by systemd ≥ 253. */
  reloading(): Promise<void> {
    const monotonicUsec = kernelMonotonicMicros();
    return this.notify(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec}`]);
  }

  /** WATCHDOG=1: one keep-alive ping. */
  watchdog(): Promise<void> {
    return this.notify(['WATCHDOG=1']);
  }

  /**
   * Pings the watchdog every WATCHDOG_USEC/2, but only while isHealthy() says the daemon's loops
   * are alive, so a wedged daemon is killed and restarted by systemd. Returns false (and does
   * nothing) when systemd asked for no watchdog. The timer does not keep the process alive.
   */
  startWatchdog(isHealthy: () => boolean): boolean {
    const interval = watchdogIntervalMs(this.#env);
    if (!this.enabled || interval === undefined) return false;
    this.stop();
    this.#watchdogTimer = setInterval(() => this.#watchdogTick(isHealthy), interval);
    this.#watchdogTimer.unref();
    this.#log.debug({ intervalMs: interval }, 'systemd watchdog started');
    return true;
  }

  /** Stops the watchdog timer (notifications already queued are still sent). */
  stop(): void {
    if (this.#watchdogTimer !== undefined) clearInterval(this.#watchdogTimer);
    this.#watchdogTimer = undefined;
  }

  /** Resolves once every notification sent so far has been delivered or has failed. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Sends raw VARIABLE=VALUE assignments. Never rejects. */
  notify(assignments: readonly string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.#chain = this.#chain.then(() => this.#spawn(assignments));
    return this.#chain;
  }

  #watchdogTick(isHealthy: () => boolean): void {
    let healthy: boolean;
    try {
      healthy = isHealthy();
    } catch (err) {
      this.#log.error({ err }, 'watchdog health check threw; not pinging systemd');
      healthy = false;
    }
    if (!healthy) {
      if (!this.#unhealthy) this.#log.warn('daemon unhealthy: withholding systemd watchdog pings');
      this.#unhealthy = true;
      return;
    }
    if (this.#unhealthy) this.#log.info('daemon healthy again: resuming systemd watchdog pings');
    this.#unhealthy = false;
    // A notifier still running (slow PID 1) is enough; do not pile up children.
    if (this.#watchdogPending) return;
    this.#watchdogPending = true;
    void this.watchdog().finally(() => {
      this.#watchdogPending = false;
    });
  }

  #spawn(assignments: readonly string[]): Promise<void> {
    return new Promise<void>((resolve) => {
      try {
        execFile(this.command, [...assignments], { env: this.#env, timeout: this.#timeoutMs, windowsHide: true }, (err, _stdout, stderr) => {
          if (err) this.#failed(assignments, err, stderr);
          else this.#failing = false;
          resolve();
        });
      } catch (err) {
        // execFile throws synchronously on invalid arguments (e.g. a NUL byte in a status).
        this.#failed(assignments, err as Error, '');
        resolve();
      }
    });
  }

  #failed(assignments: readonly string[], err: Error, stderr: string): void {
    const context = { err, command: this.command, message: assignments[0], stderr: stderr.trim() || undefined };
    if (this.#failing) {
      this.#log.debug(context, 'systemd notification failed again');
    } else {
      this.#log.warn(context, 'systemd notification failed (is NotifyAccess=all set in the unit?); continuing without it');
    }
    this.#failing = true;
  }
}

function oneLine(text: string): string {
  // Each assignment is one line of the datagram: a newline would start a bogus variable.
  return text.replace(/[\r\n]+/g, ' ');
}
