// (j) The client's own CPU per container, without a socket: one sweep slice is recorded through a
// real Pool against the simulator, then swept again and again by the daemon's own Sweeper with
// every answer replayed from memory by a Dispatcher of ours. No kernel, no simulator, no undici:
// what is left is our code (the sweep, admission, probe, classification, metrics) and JSON.parse
// of the answers, which is measured apart on the same bodies. Far less noisy than the ratio
// rounds (no neighbour, no loopback), so small changes to the hot path can be compared with it;
// it is a diagnostic, not a target.
import { Dispatcher, Pool } from 'undici';
import { GeneratedNamespace } from '../src/sim/generator.js';
import { startSimProcess } from './sim-process.js';
import { createSweepHarness } from './wiring.js';

export interface OverheadOptions {
  readonly containers: number;
  readonly sweeps: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly perServiceConcurrency: number;
  readonly progress: (line: string) => void;
}

export interface OverheadResult {
  readonly containers: number;
  readonly requestsPerContainer: number;
  /** Client CPU per container of each replayed sweep (µs), in order. */
  readonly sweepsMicrosPerContainer: readonly number[];
  readonly medianMicrosPerContainer: number;
  readonly minMicrosPerContainer: number;
  /** JSON.parse of one container's recorded answers (µs): the part no client can skip. */
  readonly parseMicrosPerContainer: number;
}

interface Recorded {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

const keyOf = (opts: Dispatcher.DispatchOptions): string => `${opts.method} ${opts.origin ?? ''}${opts.path}`;

/** Passes every request to a Pool and keeps each complete answer, by method and URL. */
export class RecordingDispatcher extends Dispatcher {
  readonly answers = new Map<string, Recorded>();
  constructor(private readonly pool: Pool) {
    super();
  }
  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const chunks: Buffer[] = [];
    let statusCode = 0;
    let headers: Recorded['headers'] = {};
    return this.pool.dispatch(opts, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onResponseStart: (controller, code, h, message) => {
        statusCode = code;
        headers = h;
        handler.onResponseStart?.(controller, code, h, message);
      },
      onResponseData: (controller, chunk) => {
        chunks.push(chunk);
        handler.onResponseData?.(controller, chunk);
      },
      onResponseEnd: (controller, trailers) => {
        this.answers.set(keyOf(opts), { statusCode, headers, body: Buffer.concat(chunks) });
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    });
  }
  override async close(): Promise<void> {
    await this.pool.close();
  }
}

/** A request being replayed: a plain object (an object literal with getters per request cost more than the sweep). */
class ReplayController implements Dispatcher.DispatchController {
  aborted = false;
  readonly paused = false;
  reason: Error | null = null;
  abort(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
  }
  pause(): void {}
  resume(): void {}
}

/** Answers every request from the recording, one event-loop turn later, as a socket would. */
export class ReplayDispatcher extends Dispatcher {
  constructor(private readonly answers: ReadonlyMap<string, Recorded>) {
    super();
  }
  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const answer = this.answers.get(keyOf(opts));
    const controller = new ReplayController();
    setImmediate(() => {
      handler.onRequestStart?.(controller, {});
      if (controller.aborted) return;
      if (answer === undefined) {
        handler.onResponseError?.(controller, new Error(`overhead phase: no recorded answer for ${keyOf(opts)}`));
        return;
      }
      handler.onResponseStart?.(controller, answer.statusCode, answer.headers, '');
      handler.onResponseData?.(controller, answer.body);
      handler.onResponseEnd?.(controller, {});
    });
    return true;
  }
  override async close(): Promise<void> {}
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function runOverheadPhase(opts: OverheadOptions): Promise<OverheadResult> {
  const generated = new GeneratedNamespace({ containers: opts.containers, damagedShare: 0, seed: 1 }, 'OPENIO');
  const sim = await startSimProcess(opts.containers, 1);
  const filter = { names: Array.from({ length: generated.accountCount }, (_, a) => generated.accountName(a)) };
  const base = { concurrency: opts.concurrency, perServiceConcurrency: opts.perServiceConcurrency, probesPerSecond: 0, filter };
  const recorder = new RecordingDispatcher(new Pool(sim.url, { connections: opts.connections }));
  try {
    const recording = await createSweepHarness({ url: sim.url, namespace: sim.namespace, connections: opts.connections, dispatcher: recorder });
    try {
      await recording.run(base);
    } finally {
      await recording.close();
    }
  } finally {
    await recorder.close();
    await sim.close();
  }
  const replay = await createSweepHarness({ url: sim.url, namespace: sim.namespace, connections: opts.connections, dispatcher: new ReplayDispatcher(recorder.answers) });
  const perContainer: number[] = [];
  try {
    // Three unmeasured sweeps first: V8 optimises the hot path over the first ~10,000 containers.
    for (let i = 0; i < 3 + opts.sweeps; i++) {
      const before = process.cpuUsage();
      const summary = await replay.run(base);
      const used = process.cpuUsage(before);
      if (summary.doneThisRun !== opts.containers || summary.counts.probeErrors > 0) {
        throw new Error(`overhead phase: a replayed sweep did ${summary.doneThisRun} of ${opts.containers} containers, ${summary.counts.probeErrors} probe errors`);
      }
      if (i >= 3) perContainer.push((used.user + used.system) / opts.containers);
    }
  } finally {
    await replay.close();
  }
  // JSON.parse of the same bodies, as often as the sweeps parsed them.
  const bodies = [...recorder.answers.values()].map((a) => a.body.toString('utf8'));
  const parseRounds = 5;
  const before = process.cpuUsage();
  let keys = 0;
  for (let r = 0; r < parseRounds; r++) for (const body of bodies) keys += Object.keys(JSON.parse(body) as object).length;
  const used = process.cpuUsage(before);
  if (keys === 0) throw new Error('overhead phase: recorded answers have no keys');
  const result: OverheadResult = {
    containers: opts.containers,
    requestsPerContainer: bodies.length / opts.containers,
    sweepsMicrosPerContainer: perContainer,
    medianMicrosPerContainer: median(perContainer),
    minMicrosPerContainer: Math.min(...perContainer),
    parseMicrosPerContainer: (used.user + used.system) / parseRounds / opts.containers,
  };
  opts.progress(`    ${opts.containers} containers × ${opts.sweeps} replayed sweeps: our CPU ${result.medianMicrosPerContainer.toFixed(1)} µs per container (median; min ${result.minMicrosPerContainer.toFixed(1)}), of which JSON.parse ${result.parseMicrosPerContainer.toFixed(1)} µs (${result.requestsPerContainer.toFixed(2)} answers per container)`);
  return result;
}
