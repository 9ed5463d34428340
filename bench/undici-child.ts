// The bare-undici side of the CPU ratio, in a process of its own (forked by undici-process.ts):
// a process that runs nothing but undici, as the sweep's runs nothing but the daemon's code.
// In one process the two share undici's code, and V8 re-optimises it at every switch from one
// side to the other: the first thousands of requests after a switch cost either side more.
// Answers each order (accounts to replay, requests in flight) with its CeilingResult.
import { GeneratedNamespace } from '../src/sim/generator.js';
import { containerRequests, containersOfAccounts, replayRequests, type CeilingResult } from './ceiling.js';
import { selfProfiler } from './self-profile.js';

export interface ReplayOrder {
  readonly url: string;
  readonly namespace: string;
  /** The generated namespace (containers, seed), to build exactly the sweep's requests. */
  readonly containers: number;
  readonly seed: number;
  readonly accounts: readonly number[];
  readonly connections: number;
  readonly inFlight: number;
  readonly simPid: number;
  /** Profile this replay into DIR/NAME.cpuprofile (--self-prof-dir). */
  readonly profile?: { readonly dir: string; readonly name: string };
}

export type ReplayAnswer = { readonly ok: true; readonly result: CeilingResult } | { readonly ok: false; readonly error: string };

let generated: GeneratedNamespace | undefined;

async function replay(order: ReplayOrder): Promise<CeilingResult> {
  if (generated?.containerCount !== order.containers) generated = new GeneratedNamespace({ containers: order.containers, damagedShare: 0, seed: order.seed }, 'OPENIO');
  const requests = containerRequests(order.namespace, generated, containersOfAccounts(generated, order.accounts));
  const profiler = selfProfiler(order.profile?.dir ?? null);
  return profiler.around(order.profile?.name ?? 'undici', () =>
    replayRequests({ url: order.url, connections: order.connections, inFlight: order.inFlight, simPid: order.simPid }, requests));
}

process.on('message', (order: ReplayOrder) => {
  replay(order).then(
    (result) => process.send?.({ ok: true, result } satisfies ReplayAnswer),
    (err: unknown) => process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ReplayAnswer),
  );
});
process.on('disconnect', () => process.exit(0));
