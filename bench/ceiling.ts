// (a) The ceiling: how many proxy requests per second a bare undici Pool drives against the
// simulator, firing the sweep's own hot request (`POST admin/get_properties … service_id=P
// &local=1`, the R per-replica reads of generated containers) with the daemon's socket count
// and as many requests in flight as the sweep has. No parsing, no probe, no sweep: undici alone.
import { Pool } from 'undici';
import { encodeQuery } from '../src/oio/http.js';
import { GeneratedNamespace } from '../src/sim/generator.js';
import { type CpuShares, startCpuMeters } from './proc.js';

export interface CeilingOptions {
  readonly url: string;
  readonly namespace: string;
  /** The generated namespace's size (the simulator's --generate). */
  readonly containers: number;
  readonly seed: number;
  readonly connections: number;
  /** Requests kept in flight (queued in the Pool beyond `connections`, as the sweep's are). */
  readonly inFlight: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** The simulator's pid, to report how busy it was. */
  readonly simPid: number;
}

export interface CeilingResult {
  readonly connections: number;
  readonly inFlight: number;
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly errors: number;
  readonly cpu: CpuShares;
  /** Client CPU time per request, in microseconds (robust to a busy machine). */
  readonly clientCpuMicrosPerRequest: number;
}

/** Paths of the per-replica reads of the first `count` generated containers, as the ProxyClient builds them. */
export function replicaReadPaths(namespace: string, containers: number, seed: number, count: number): string[] {
  const generated = new GeneratedNamespace({ containers, damagedShare: 0, seed }, namespace);
  const paths: string[] = [];
  const prefix = `/v3.0/${encodeURIComponent(namespace)}/admin/get_properties`;
  for (let i = 0; i < Math.min(count, containers); i++) {
    const { container } = generated.build(i);
    for (const peer of container.peers) {
      paths.push(prefix + encodeQuery({ type: 'meta2', acct: container.account, ref: container.name, service_id: peer, local: 1 }));
    }
  }
  return paths;
}

export async function runCeiling(opts: CeilingOptions, paths: readonly string[]): Promise<CeilingResult> {
  const origin = new URL(opts.url).origin;
  // The same Pool settings as src/oio/http.ts (requestTimeoutMs default 10 s).
  const pool = new Pool(origin, {
    connections: opts.connections,
    connect: { timeout: 2_000 },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    keepAliveTimeout: 4_000,
    maxResponseSize: 8 * 1024 * 1024,
  });
  const headers = { 'x-oio-timeout': '9000000', 'x-oio-admin': '1', accept: 'application/json' };
  let next = 0;
  let measuring = false;
  let stopped = false;
  let requests = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const path = paths[next++ % paths.length] as string;
      try {
        const answer = await pool.request({ method: 'POST', path, headers: { ...headers, 'x-oio-req-id': `ceil-${next}` }, body: '' });
        await answer.body.text();
        if (measuring) {
          requests++;
          if (answer.statusCode !== 200) errors++;
        }
      } catch {
        if (measuring) errors++;
      }
    }
  };
  const workers = Array.from({ length: opts.inFlight }, () => worker());
  await sleep(opts.warmupSeconds * 1000);
  const stopMeters = startCpuMeters(opts.simPid);
  measuring = true;
  const t0 = performance.now();
  await sleep(opts.seconds * 1000);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = stopMeters();
  stopped = true;
  await Promise.all(workers);
  await pool.close();
  return {
    connections: opts.connections,
    inFlight: opts.inFlight,
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    errors,
    cpu,
    clientCpuMicrosPerRequest: requests > 0 ? (cpu.client * seconds * 1e6) / requests : 0,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
