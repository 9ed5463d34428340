// Shared helpers for the simulator's wire tests: a real HTTP call with undici and the
// parameters the daemon's client sends, and the one-container simulator most of them start.
import { request } from 'undici';
import { afterEach } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator, type FaultSpec, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

export interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = unknown>(): T;
}

export async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: { query?: Record<string, string>; body?: string; headers?: Record<string, string> } = {},
): Promise<WireAnswer> {
  const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
  const res = await request(`${base}${path}${qs}`, {
    method,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

export interface Envelope {
  [peer: string]: { status: { status: number; message: string }; body: unknown };
}

export const waitFor = async (predicate: () => boolean, timeoutMs = 2000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** The one-container namespace of the wire tests: acct/ct on three peers, P2 its master. */
export const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'] as const;
export const REF = { acct: 'acct', ref: 'ct' };
export const CID = cidFromName('acct', 'ct');

/**
 * A simulator of acct/ct with `faults`, one at a time, closed after each test of the file that
 * calls this at its top level (or earlier by `close`).
 */
export function oneContainerSimulator(): {
  start(faults: readonly FaultSpec[], opts?: Partial<SimulatorOptions>): Promise<Simulator>;
  close(): Promise<void>;
} {
  let sim: Simulator | undefined;
  const close = async (): Promise<void> => {
    await sim?.close();
    sim = undefined;
  };
  afterEach(close);
  return {
    async start(faults, opts = {}) {
      sim = await startSimulator({
        ...opts,
        scenario: { services: [P1, P2, P3], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }], faults: [...faults] },
      });
      return sim;
    },
    close,
  };
}
