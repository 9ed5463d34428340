// The simulator as a separate process (`node dist/main.js sim --generate N`), so that it has a
// core of its own and the client being measured does not share its event loop, steered and
// observed through its control routes (/__sim/stats, /__sim/stats/reset, /__sim/inject).
import { fileURLToPath } from 'node:url';
import type { FaultSpec } from '../src/sim/faults.js';
import type { SimStats } from '../src/sim/stats.js';
import { type Child, ChildError, spawnNode } from './child.js';

/** dist/main.js of the repository (the benchmark runs from dist-bench/bench/). */
export const MAIN_JS = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface SimProcess {
  readonly url: string;
  readonly namespace: string;
  readonly child: Child;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  inject(fault: FaultSpec): Promise<void>;
  /** Background client traffic of the load model from now on (POST /__sim/load). */
  setBackground(rps: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSimProcess(containers: number, seed = 1, extraArgs: readonly string[] = []): Promise<SimProcess> {
  const child = spawnNode(
    [MAIN_JS, 'sim', '--generate', String(containers), '--damaged-share', '0', '--seed', String(seed), '--port', '0', ...extraArgs],
    'simulator',
  );
  let url: string;
  let namespace: string;
  try {
    const m = await child.waitForLine(/namespace (\S+) listening on (http:\/\/\S+)/, 30_000);
    namespace = m[1] as string;
    url = m[2] as string;
  } catch (err) {
    await child.stop();
    throw err;
  }
  const control = async (method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}/__sim/${route}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new ChildError(`simulator ${method} /__sim/${route}: HTTP ${res.status}: ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  return {
    url,
    namespace,
    child,
    stats: async () => (await control('GET', 'stats')) as SimStats,
    resetStats: async () => void (await control('POST', 'stats/reset')),
    inject: async (fault) => void (await control('POST', 'inject', fault)),
    setBackground: async (rps) => void (await control('POST', 'load', { backgroundRps: rps })),
    close: async () => void (await child.stop()),
  };
}

/** Proxy requests (everything but the account service's listings) in a stats snapshot. */
export function proxyRequests(stats: SimStats): number {
  let n = 0;
  for (const [route, count] of Object.entries(stats.byRoute)) if (!route.startsWith('account ')) n += count;
  return n;
}

/** Account-service listing requests in a stats snapshot. */
export function accountRequests(stats: SimStats): number {
  return stats.requests - proxyRequests(stats);
}
