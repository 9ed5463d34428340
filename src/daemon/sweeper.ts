// The daemon's sweep machinery, assembled once: the proxy and account-service clients (feeding
// the request metrics), the repair gate, and how one sweep wires probe, repair and verification
// together. The Daemon adds the schedule and the process life around it; the benchmark runs the
// very same sweeps, so what it measures is what ships.
import { systemClock } from '../clock.js';
import { runtimeOptions, type RuntimeOptions } from '../config/runtime.js';
import type { Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';
import type { ControlBlock } from '../controls/gates.js';
import { repairJournal } from '../journal/entries.js';
import type { JournalSink } from '../journal/types.js';
import type { Logger } from '../log.js';
import { codeClass, countDecision, type Metrics } from '../metrics/metrics.js';
import type { HttpClientOptions, RequestObserver } from '../oio/http.js';
import { createProxyClient, type ProxyClient } from '../oio/proxy-client.js';
import type { ContainerRef, ProxyApi } from '../oio/types.js';
import { OioUnsupportedProxyError } from '../oio/errors.js';
import { inspectProxy, isUnsupportedProxy } from '../probe/proxy-guard.js';
import { OioLineState } from './oio-line-state.js';
import { openNative, type OpenedNative } from '../native/index.js';
import { prober, type Prober } from '../probe/transport.js';
import type { ContainerReport } from '../probe/types.js';
import { repairContainer } from '../repair/execute.js';
import { windowGate } from '../schedule/windows.js';
import { AdaptivePace, exportFixedPace } from '../schedule/adaptive-pace.js';
import type { ProbeContext, ProbeFn, RepairContext, RepairFn } from '../sweep/process-container.js';
import { fencedProxy } from '../fleet/fence.js';
import type { ContainerStepDeps } from '../sweep/process-container.js';
import type { RepairResult } from '../repair/types.js';
import type { FileGateStore } from '../sweep/gate-store.js';
import { RateLimiter } from '../sweep/limiter.js';
import { RepairGate, type GateSnapshot } from '../sweep/repair-gate.js';
import type { SweepStateStore } from '../sweep/state.js';
import { bindBudgetGauge } from '../sweep/sweep-metrics.js';
import { runSweep, type SweepOptions, type SweepPause, type SweepSummary } from '../sweep/sweep.js';
import { DiscoveredAccountService } from './account-service.js';

/**
 * sweep.maxDurationSeconds: a signal that stops the sweep run (it saves its position, ends
 * `interrupted`, and the next scheduled sweep resumes it) once it has lasted that long; that stop
 * is logged and counted with its reason code, SWEEP_MAX_DURATION.
 */
export function sweepTimeLimit(maxDurationMs: number | null, log: Logger, metrics: Metrics): { readonly signal: AbortSignal; clear(): void } {
  const stop = new AbortController();
  if (maxDurationMs === null) return { signal: stop.signal, clear: () => undefined };
  const timer = setTimeout(() => {
    countDecision(metrics, 'SWEEP_MAX_DURATION');
    log.warn({ code: 'SWEEP_MAX_DURATION', maxDurationSeconds: maxDurationMs / 1000 }, 'sweep reached sweep.maxDurationSeconds: it stops here and resumes at the next scheduled slot');
    stop.abort(new Error('sweep.maxDurationSeconds reached'));
  }, maxDurationMs);
  timer.unref();
  return { signal: stop.signal, clear: () => clearTimeout(timer) };
}

/**
 * Feeds oio_repaird_proxy_request_duration_seconds, oio_repaird_proxy_up and
 * oio_repaird_proxy_answers_too_large_total from every request attempt. Runs on every request:
 * one labelled child per (route, class), looked up once.
 */
export function proxyRequestObserver(metrics: Metrics, onProxyAnswer: () => void = () => undefined): RequestObserver {
  // Per route, per status class (0 = no answer, then 1xx…5xx): bounded, fixed routes × 6 classes.
  const observers = new Map<string, Array<{ observe(seconds: number): void } | undefined>>();
  // proxy_up is set when it changes, not on every answer (a gauge set hashes its labels).
  let up: 0 | 1 | undefined;
  return (route, status, seconds, error) => {
    if (error !== undefined && (error as { code?: unknown }).code === 'OIO_ANSWER_TOO_LARGE') metrics.proxyAnswersTooLarge.inc({ route });
    const hundreds = status === undefined ? 0 : Math.floor(status / 100);
    let classes = observers.get(route);
    if (classes === undefined) {
      classes = [];
      observers.set(route, classes);
    }
    let observer = classes[hundreds];
    if (observer === undefined) {
      observer = metrics.proxyRequestDuration.labels({ route, code_class: codeClass(status) });
      classes[hundreds] = observer;
    }
    observer.observe(seconds);
    if (route.startsWith('account/')) return;
    const nowUp = status === undefined ? 0 : 1;
    if (nowUp !== up) {
      up = nowUp;
      metrics.proxyUp.set(nowUp);
    }
    if (status !== undefined) onProxyAnswer();
  };
}

export interface SweeperOptions {
  /** Proxy, account service and repair policy are taken from it; later configs go to run(). */
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly journal: JournalSink;
  /** Called whenever the proxy gave an HTTP answer (readiness). */
  readonly onProxyAnswer?: () => void;
  /** Where the repair gate's history (cooldowns, hourly budget) is kept across restarts. */
  readonly gateStore?: FileGateStore;
  /**
   * Fleet mode: why a mutating request on a container must not be sent now (fenced), or null;
   * checked before every sync, leave and set_properties (src/fleet/fence.ts).
   */
  readonly fence?: { readonly reason: (cid: string) => string | null; readonly onRefused: () => void };
  /** Operator controls (breaker, suspension, blackouts): src/daemon/controls.ts. */
  readonly controls?: RepairControls;
  /**
   * Wraps the proxy calls of locates, probes, repairs and verifications (the fault-matrix tests
   * watch every mutating call with it, and play faults the simulator has not).
   */
  readonly wrapProxy?: (proxy: ProxyApi) => ProxyApi;
  /**
   * Sends the proxy's and the account service's requests through this dispatcher instead of a
   * Pool of their own (the benchmark replays recorded answers with it, to measure our own CPU).
   */
  readonly dispatcher?: Dispatcher;
}

/** What the sweep asks of the operator controls. */
export interface RepairControls {
  /** The controls holding repairs back now, most severe first (empty: none). */
  blocks(): readonly ControlBlock[];
  /** Throws (with the control's outcome) when a control holds repairs back; called right before each mutation. */
  assertMayMutate(): void;
  /** False while probing is paused too (suspended with suspend.probe off). */
  probingAllowed(): boolean;
}

/** What the daemon (or the benchmark) asks of one sweep: how to stop it, where it keeps its state. */
export interface SweepRequest {
  readonly signal: AbortSignal;
  readonly state: SweepStateStore;
  /** Containers expected, for the ETA (the previous sweep's count). */
  readonly expectedTotal?: number;
  /** Wraps the probe (the benchmark counts concurrency with it). */
  readonly wrapProbe?: (probe: ProbeFn) => ProbeFn;
  /** Wraps the repair (fleet mode: the container's lock and the fleet budget). */
  readonly wrapRepair?: (repair: RepairFn) => RepairFn;
  /** Also required to take a new container (fleet mode: not fenced), with the time windows. */
  readonly allowed?: () => boolean;
  /** Replaces options derived from the configuration (the benchmark's limits and filters). */
  readonly overrides?: Partial<Omit<SweepOptions, 'signal'>>;
}

export class Sweeper {
  readonly proxy: ProxyClient;
  readonly accounts: DiscoveredAccountService;
  /** Long-lived: its hourly budget and cooldowns span sweeps. setPolicy() on reload. */
  readonly gate: RepairGate;
  /**
   * Why the proxy is refused (it does not honour service_id), or null. Set by the first sign in a
   * sweep, which then stops; cleared when a later sweep's check passes (the proxy was replaced).
   */
  unsupportedProxy: string | null = null;
  /** The oio-sds line (proxy.oioVersion, or detected each sweep): what the client sends, which keys are required. */
  readonly oioLine: OioLineState;
  private readonly opts: SweeperOptions;
  /** The proxy as locates, probes and repairs call it: `proxy`, or wrapped by `opts.wrapProxy`. */
  private readonly calls: ProxyApi;
  /** The native transport's sockets, opened by the first sweep configured for it. */
  private native: OpenedNative | undefined;
  /** The adaptive pace while probe.adaptive.enabled (it spans sweeps: what it learnt is kept). */
  private pace: AdaptivePace | undefined;
  /** probe.probesPerSecond's token bucket otherwise, shared by the sweeps and the suspects lane. */
  private fixedLimiter: RateLimiter | undefined;

  constructor(opts: SweeperOptions) {
    this.opts = opts;
    const c = opts.config;
    const rt = runtimeOptions(c);
    const { url, namespace, accountUrl, ...timeouts } = rt.http;
    const http: Omit<HttpClientOptions, 'url'> = {
      ...timeouts,
      onRequest: paced(proxyRequestObserver(opts.metrics, opts.onProxyAnswer), () => this.pace),
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    };
    this.proxy = createProxyClient({ ...http, url, namespace });
    this.calls = opts.wrapProxy ? opts.wrapProxy(this.proxy) : this.proxy;
    this.accounts = new DiscoveredAccountService(this.proxy, http, accountUrl);
    this.oioLine = new OioLineState(opts.log);
    this.oioLine.start(c, this.proxy);
    const store = opts.gateStore;
    // Every reservation and outcome is saved; a repair waits for its reservation to be on disk.
    const controls = opts.controls;
    this.gate = new RepairGate(rt.policy, {
      ...(store ? { persist: (snapshot: GateSnapshot) => store.save(snapshot) } : {}),
      ...(controls ? { controls: () => controls.blocks() } : {}),
    });
    bindBudgetGauge(opts.metrics, this.gate);
    if (!rt.pace.enabled) exportFixedPace(opts.metrics, rt.sweep.probesPerSecond);
  }

  /**
   * Takes back the gate's persisted history, if any (call before the first sweep). A history
   * that exists but cannot be used means the last hour's spending is unknown: no repair for an
   * hour (the budget window), and that hold is itself saved so a restart does not lift it.
   */
  async restoreHistory(): Promise<void> {
    const loaded = await this.opts.gateStore?.load();
    if (loaded?.kind === 'restored') {
      this.gate.restore(loaded.snapshot);
      this.opts.log.info({ tracked: this.gate.tracked, budgetRemaining: this.gate.remaining() }, 'repair history restored');
    } else if (loaded?.kind === 'bad') {
      const { bad } = loaded;
      const until = systemClock.now() + 3_600_000;
      const where = bad.keptAs ? `, kept as ${bad.keptAs}` : '';
      this.gate.holdRepairsUntil(until, `the repair history was ${bad.problem} at start${where}`);
      this.opts.metrics.stateFileProblems.inc({ file: 'repair_history', problem: bad.problem });
      this.opts.log.error(
        { path: bad.path, problem: bad.problem, error: bad.error, ...(bad.keptAs ? { keptAs: bad.keptAs } : {}), noRepairsUntil: new Date(until).toISOString() },
        'repair history unusable: what the last hour spent is unknown, so no repairs for an hour',
      );
    }
  }

  /** One sweep with `config`'s probe, schedule-window, repair and progress settings. */
  run(config: Config, run: SweepRequest): Promise<SweepSummary> {
    const { log, metrics, journal } = this.opts;
    const rt = runtimeOptions(config);
    const shared = this.probeLimiter(config);
    // The benchmark's own probesPerSecond (run.overrides) replaces the fixed bucket, never the adaptive pace.
    const rateLimiter = this.pace || run.overrides?.probesPerSecond === undefined ? shared : undefined;
    const proxy = this.proxy;
    const fence = this.opts.fence;
    const repairProxy = fence ? fencedProxy(this.calls, fence.reason, fence.onRefused) : this.calls;
    // Probe and verification read through the same transport; repairs go through the proxy. The
    // required keys and how an empty table reads follow the line, known once the sweep's check ran.
    const probeWith = this.prober(config);
    const controls = this.opts.controls;
    const repair = this.repairer(config, repairProxy);
    // Before the first probe of each sweep (and so before any repair), the proxy shows its line:
    // a 4.2.x/4.3.x one (service_id ignored) stops the sweep unless replicas are read natively;
    // with the proxy transport, any later sign of one stops it too.
    const refused = new AbortController();
    const refuse = (err: { message: string }): void => {
      if (refused.signal.aborted) return;
      this.unsupportedProxy = err.message;
      metrics.unsupportedProxy.set(1);
      log.error({ err, proxy: this.opts.config.proxy.url }, 'unsupported proxy: it does not honour service_id; sweep stopped, nothing is probed or repaired through it until a later sweep finds it fixed');
      refused.abort(new Error(err.message));
    };
    let supported: Promise<void> | undefined;
    // Set once the check passed: later containers do not wait on its settled promise.
    let checked = false;
    const ensureSupported = (ref: ContainerRef, ctx: ProbeContext): Promise<void> =>
      (supported ??= inspectProxy(proxy.strict(), ref, { reqId: ctx.reqId, ...(ctx.peers ? { peers: ctx.peers } : {}) }).then(
        ({ signs, oldProxy }) => {
          const decision = this.oioLine.apply(config, proxy, signs);
          if (decision.refuse) {
            const err = new OioUnsupportedProxyError(`unsupported proxy: ${decision.refuse}`, { route: oldProxy?.route ?? 'reference/show', ...(oldProxy ? { cause: oldProxy } : {}) });
            refuse(err);
            throw err;
          }
          if (this.unsupportedProxy !== null) log.info('the proxy can be used again: sweeping resumes');
          this.unsupportedProxy = null;
          metrics.unsupportedProxy.set(0);
          checked = true;
        },
        (err: unknown) => {
          if (isUnsupportedProxy(err)) refuse(err as Error);
          throw err;
        },
      ));
    const afterProbe = (report: ContainerReport): ContainerReport => {
      if (isUnsupportedProxy(report.error)) refuse(report.error as { message: string });
      this.oioLine.refine(config, proxy, report);
      return report;
    };
    const probeChecked: ProbeFn = (ref, ctx) => {
      const line = this.oioLine.probeOptions(config);
      return probeWith(ref, { requiredKeys: line.requiredKeys, emptyMayBeUnreachable: line.emptyMayBeUnreachable, reqId: ctx.reqId, peers: ctx.peers }).then(afterProbe);
    };
    // Once the check passed, a probe costs no wait on it (one promise layer less per container).
    const probe: ProbeFn = (ref, ctx) => (checked ? probeChecked(ref, ctx) : ensureSupported(ref, ctx).then(() => probeChecked(ref, ctx)));
    const windows = config.schedule.windows;
    const inWindow = windows.length > 0 ? windowGate(windows, config.schedule.timezone) : undefined;
    const allowed = run.allowed;
    const isAllowedNow = allowed || inWindow || controls
      ? () => (allowed?.() ?? true) && (inWindow?.() ?? true) && (controls?.probingAllowed() ?? true)
      : undefined;
    // The first gate that holds the sweep names its pause (fleet fence, time window, suspension).
    const pauseReason = (): SweepPause =>
      allowed && !allowed()
        ? { code: 'WAIT_FLEET_FENCED', why: 'fenced (fleet mode: its ZooKeeper session is lost or suspended)' }
        : inWindow && !inWindow()
          ? { code: 'SKIPPED_WINDOW', why: 'outside its time windows' }
          : { code: 'SKIPPED_SUSPENDED', why: 'suspended by an operator (suspend.probe: false)' };
    const repairNow: RepairFn = (report, ctx) => repair(report, ctx, false);
    const limit = sweepTimeLimit(rt.sweep.maxDurationMs, log, metrics);
    return runSweep(
      {
        accounts: this.accounts,
        locate: (ref, ctx) => this.calls.locate(ref, { reqId: ctx.reqId }),
        probe: run.wrapProbe ? run.wrapProbe(probe) : probe,
        repair: run.wrapRepair ? run.wrapRepair(repairNow) : repairNow,
        // report-only mode: the plan goes to the journal as dry-run steps, nothing is changed.
        previewRepair: (report, ctx) => repair(report, ctx, true),
        journal,
        metrics,
        log,
        gate: this.gate,
        state: run.state,
      },
      {
        filter: rt.sweep.filter,
        concurrency: rt.sweep.concurrency,
        probesPerSecond: rt.sweep.probesPerSecond,
        ...(rateLimiter ? { rateLimiter } : {}),
        perServiceConcurrency: rt.sweep.perServiceConcurrency,
        maxUnknownShare: rt.sweep.maxUnknownShare,
        progressIntervalMs: rt.sweep.progressIntervalMs,
        ...(isAllowedNow ? { isAllowedNow, pauseReason } : {}),
        // A paused sweep looks again every second: it goes on within a second of a suspension's
        // end (suspend.probe: false) or a `resume`, not up to 30 s later.
        pauseCheckMs: 1000,
        ...(run.expectedTotal !== undefined ? { expectedTotal: run.expectedTotal } : {}),
        ...run.overrides,
        signal: AbortSignal.any([run.signal, refused.signal, limit.signal]),
      },
    ).finally(() => limit.clear());
  }

  /**
   * Repairs (or, dryRun, previews) with `config`'s verification settings, through `proxy`: a
   * sweep's fenced one in fleet mode, else the proxy calls (the suspects lane does not run in
   * fleet mode). The operator controls are asked again right before every mutating request: a
   * suspension or a breaker that starts mid-repair stops it before its next step.
   */
  private repairer(config: Config, proxy: ProxyApi = this.calls): (report: ContainerReport, ctx: RepairContext, dryRun: boolean) => Promise<RepairResult> {
    const { log, metrics, journal } = this.opts;
    // Probe and verification read through the same transport, as the line of the proxy requires.
    const probeWith = this.prober(config);
    const controls = this.opts.controls;
    const rt = runtimeOptions(config);
    return (report, { reqId, beforeFirstMutation }, dryRun) =>
      repairContainer(proxy, report, {
        ...rt.repair,
        dryRun,
        journal: repairJournal(journal, { evidenceMaxBytes: rt.evidenceMaxBytes }),
        probe: (ref) => probeWith(ref, { ...this.oioLine.probeOptions(config), alwaysElection: true, reqId }),
        reqId,
        ...(beforeFirstMutation ? { beforeFirstMutation } : {}),
        ...(controls ? { beforeEachMutation: () => controls.assertMayMutate() } : {}),
        log: log.child({ cid: report.ref.cid, reqId }),
        metrics,
      });
  }

  /**
   * What one container needs outside a sweep (the suspects lane): the same probe, repair, gate,
   * journal and metrics as a sweep's. Call only while the proxy is not refused (unsupportedProxy).
   */
  containerStep(config: Config): ContainerStepDeps {
    const { log, metrics, journal } = this.opts;
    const probeWith = this.prober(config);
    const repair = this.repairer(config);
    return {
      probe: (ref, ctx) => probeWith(ref, { ...this.oioLine.probeOptions(config), reqId: ctx.reqId, ...(ctx.peers ? { peers: ctx.peers } : {}) }),
      repair: (report, ctx) => repair(report, ctx, false),
      previewRepair: (report, ctx) => repair(report, ctx, true),
      journal,
      metrics,
      log,
      gate: this.gate,
      now: systemClock.now,
    };
  }

  /** The prober of `config.probe.transport`; the native client is created once, at first use. */
  private prober(config: Config): Prober {
    if (config.probe.transport !== 'native') return prober(this.calls);
    if (!this.native) {
      const { namespace, connectionsPerService, ...limits } = runtimeOptions(config).native;
      this.native = openNative({ namespace, connectionsPerService, ...limits });
      this.opts.log.info({ transport: 'native', ...limits }, 'replicas are read on each meta2 native port (repairs still go through the proxy)');
    }
    return prober(this.calls, this.native.replicas);
  }

  /**
   * The probe limiter of `config`, shared by the sweeps and the suspects lane: the adaptive
   * pace's when probe.adaptive is on, else one long-lived token bucket at probe.probesPerSecond.
   */
  probeLimiter(config: Config): Pick<RateLimiter, 'take'> {
    const rt = runtimeOptions(config);
    const adaptive = this.applyPace(rt);
    if (adaptive) return adaptive;
    const rate = rt.sweep.probesPerSecond;
    if (!this.fixedLimiter) this.fixedLimiter = new RateLimiter(rate);
    else if (this.fixedLimiter.rate !== rate) this.fixedLimiter.setRate(rate);
    return this.fixedLimiter;
  }

  /** Adaptive pace on or off as the configuration says; its limiter when on. */
  private applyPace(rt: RuntimeOptions): AdaptivePace['limiter'] | undefined {
    const pace = rt.pace;
    if (!pace.enabled) {
      this.pace?.stop();
      this.pace = undefined;
      exportFixedPace(this.opts.metrics, rt.sweep.probesPerSecond);
      return undefined;
    }
    if (this.pace) {
      this.pace.configure(pace.settings);
    } else {
      const log = this.opts.log;
      this.pace = new AdaptivePace({
        settings: pace.settings,
        intervalMs: pace.intervalMs,
        metrics: this.opts.metrics,
        onDecision: (d) => log.debug({ rate: d.rate, reason: d.reason, p95Ms: d.p95Ms, requests: d.requests, failures: d.failures }, 'probe pace'),
      });
      this.pace.start();
    }
    return this.pace.limiter;
  }

  /** The adaptive pace, when probe.adaptive is on (the benchmark follows its decisions). */
  get adaptivePace(): AdaptivePace | undefined {
    return this.pace;
  }

  async close(): Promise<void> {
    this.pace?.stop();
    await this.native?.close();
    await this.opts.gateStore?.close();
    await this.accounts.close();
    await this.proxy.close();
  }
}

/** The request observer, also feeding the adaptive pace when there is one. */
function paced(observer: RequestObserver, pace: () => AdaptivePace | undefined): RequestObserver {
  return (route, status, seconds, error) => {
    observer(route, status, seconds, error);
    pace()?.observe(route, status, seconds);
  };
}
