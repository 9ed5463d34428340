// How many file descriptors the daemon can hold at once, so that the systemd unit's LimitNOFILE
// (and the soft limit checked at start) stays above it: idle /metrics clients or a busy proxy
// pool must never leave the sweeps without a socket (EMFILE).
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';

/** Journal, state files and their temporaries, stdio, libuv's own, systemd-notify pipes, /proc reads. */
export const FD_MARGIN = 256;

/** Proxy pool + account-service pool (same size) + /metrics clients + the margin. */
export function fdsNeeded(config: Pick<Config, 'proxy' | 'metrics'>): number {
  return 2 * config.proxy.connections + config.metrics.maxConnections + FD_MARGIN;
}

/** The soft RLIMIT_NOFILE of this process (Linux /proc/self/limits), or undefined when unknown. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined || soft === 'unlimited') return undefined;
  const n = Number(soft);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Why this configuration can run out of file descriptors under `limit`, or null when it cannot. */
export function fdFitProblem(config: Pick<Config, 'proxy' | 'metrics'>, limit: number | undefined): string | null {
  if (limit === undefined) return null;
  const needed = fdsNeeded(config);
  if (needed <= limit) return null;
  return (
    `proxy.connections ${config.proxy.connections} (twice: proxy and account service) and metrics.maxConnections ` +
    `${config.metrics.maxConnections} can hold ${needed} file descriptors with the margin, above this process's ` +
    `limit of ${limit}: lower them or raise LimitNOFILE in the systemd unit`
  );
}
