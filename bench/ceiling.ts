// (a) The ceiling: how many proxy requests per second a bare undici Pool drives against the
// simulator, firing the sweep's own requests (per container: `GET reference/show`, then the R
// per-replica reads `POST admin/get_properties … service_id=P&local=1`, with the daemon's
// headers) with the daemon's socket count and as many requests in flight as the sweep has. No
// parsing, no probe, no sweep: undici alone. replayRequests() fires exactly the requests of one
// sweep slice, so that the client CPU per request of both is measured on the same requests.
import { Pool } from 'undici';
import { encodeQuery } from '../src/oio/http.js';
import { GeneratedNamespace } from '../src/sim/generator.js';
import { type CpuShares, startCpuMeters } from './proc.js';

export interface ReplayOptions {
  readonly url: string;
  readonly connections: number;
  /** Requests kept in flight (queued in the Pool beyond `connections`, as the sweep's are). */
  readonly inFlight: number;
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

/** One request of a healthy container's probe, as the ProxyClient sends it. */
export interface SweepRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

/** The R+1 requests of each container (locate, then one read per replica), in container order. */
export function containerRequests(namespace: string, generated: GeneratedNamespace, indexes: Iterable<number>): SweepRequest[] {
  const prefix = `/v3.0/${encodeURIComponent(namespace)}`;
  const requests: SweepRequest[] = [];
  for (const i of indexes) {
    const { container } = generated.build(i);
    requests.push({ method: 'GET', path: `${prefix}/reference/show${encodeQuery({ acct: container.account, ref: container.name })}` });
    for (const peer of container.peers) {
      requests.push({ method: 'POST', path: `${prefix}/admin/get_properties${encodeQuery({ type: 'meta2', acct: container.account, ref: container.name, service_id: peer, local: 1 })}` });
    }
  }
  return requests;
}

/** Indexes of the containers of generated accounts `accounts` (what a sweep filtered on them probes). */
export function containersOfAccounts(generated: GeneratedNamespace, accounts: readonly number[]): number[] {
  const out: number[] = [];
  for (const a of accounts) {
    const of = generated.containersOf(a);
    for (let j = 0; j < of.length; j++) out.push(of.indexAt(j));
  }
  return out;
}

/** The daemon's headers (src/oio/http.ts): no admin flag, the proxy deadline, a request id. */
const HEADERS = { 'x-oio-timeout': '9000000', accept: 'application/json' };

/**
 * Fires every request once, `inFlight` at a time, reading each body and nothing else, through a
 * Pool with the settings of src/oio/http.ts; measures the client's CPU over the whole replay.
 */
export async function replayRequests(opts: ReplayOptions, requests: readonly SweepRequest[]): Promise<CeilingResult> {
  const pool = new Pool(new URL(opts.url).origin, {
    connections: opts.connections,
    connect: { timeout: 2_000 },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    keepAliveTimeout: 4_000,
    maxResponseSize: 8 * 1024 * 1024,
  });
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const k = next++;
      const { method, path } = requests[k] as SweepRequest;
      try {
        const answer = await pool.request({ method, path, headers: { ...HEADERS, 'x-oio-req-id': `ceil-${k}` }, body: '' });
        await answer.body.text();
        if (answer.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
    }
  };
  const stopMeters = startCpuMeters(opts.simPid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opts.inFlight }, () => worker()));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = stopMeters();
  await pool.close();
  return {
    connections: opts.connections,
    inFlight: opts.inFlight,
    requests: requests.length,
    seconds,
    requestsPerSecond: requests.length / seconds,
    errors,
    cpu,
    clientCpuMicrosPerRequest: requests.length > 0 ? (cpu.client * seconds * 1e6) / requests.length : 0,
  };
}
