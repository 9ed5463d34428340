// The long-running daemon (`oio-repaird run`): wires configuration, the proxy and account
// clients, the sweep, the scheduler, the journal, /metrics and systemd notification together,
// and owns their lifecycle: start, SIGHUP reload, graceful stop. The decisions live elsewhere
// (probe/, repair/, sweep/); this file only assembles and sequences.
import { systemClock } from '../clock.js';
import { join } from 'node:path';
import { loadRunnableConfig } from '../config/preflight.js';
import { formatIssues } from '../config/errors.js';
import { configAfterReload, describeReload, diffSettings } from '../config/reload.js';
import { runtimeOptions, type RuntimeOptions } from '../config/runtime.js';
import type { Config } from '../config/schema.js';
import { startHttpServer, type RunningHttpServer } from '../http/server.js';
import { runbookPage } from '../http/runbook-page.js';
import { renderStatusPage } from '../http/status-page.js';
import { Journal } from '../journal/journal.js';
import { journalRotation } from '../journal/rotation-options.js';
import type { Logger } from '../log.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { ServiceHealth } from '../metrics/service-health.js';
import { SUSPECTS_FILE, Suspects } from '../sweep/suspects.js';
import { SuspectsLane } from './suspects-lane.js';
import { ServiceHealthFile } from './service-health-file.js';
import { SweepScheduler } from '../schedule/scheduler.js';
import { FileGateStore, GATE_FILE } from '../sweep/gate-store.js';
import { publishCompletedSweep } from '../sweep/gauges.js';
import { FileSweepHistory, lastSuccess } from '../sweep/history.js';
import { removeStaleTempFiles } from '../sweep/state-file.js';
import { FileSweepStateStore, MemorySweepStateStore, STATE_FILE, type SweepStateStore } from '../sweep/state.js';
import { Fleet } from '../fleet/fleet.js';
import type { FleetWalk } from '../fleet/runner.js';
import type { RepairFn } from '../sweep/process-container.js';
import type { ProgressFields } from '../sweep/progress.js';
import { sweepSucceeded, type SweepSummary } from '../sweep/sweep.js';
import { VERSION } from '../version.js';
import { PROXY_HEARTBEAT_MS, proxyStaleLimitMs } from './readiness.js';
import { SdNotify } from './sd-notify.js';
import { StatusBoard } from './status.js';
import { StallWatch } from './stall-watch.js';
import { CONTROLS_FILE } from '../controls/store.js';
import { ControlService } from './controls.js';
import { Sweeper } from './sweeper.js';
import { lockStateDir, type StateLock } from './state-lock.js';
import { StorageHealth } from './storage-health.js';

export interface DaemonOptions {
  readonly config: Config;
  /** Where the configuration came from (re-read on SIGHUP). */
  readonly configPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}


export class Daemon {
  readonly metrics: Metrics;
  readonly log: Logger;
  private config: Config;
  /** Every component's options from `config` (runtimeOptions): set at start and by each reload. */
  private runtime: RuntimeOptions;
  private readonly opts: DaemonOptions;
  private readonly sweeper: Sweeper;
  private readonly journal: Journal;
  private readonly state: SweepStateStore;
  readonly history: FileSweepHistory;
  private readonly status: StatusBoard;
  /** Journal and state writes: a failing one makes the daemon unready and stops repairs. */
  private readonly storage: StorageHealth;
  private readonly scheduler: SweepScheduler;
  private readonly sd: SdNotify;
  private http: RunningHttpServer | null = null;
  private readonly stopSweeps = new AbortController();
  private lastProxyAnswerAt = 0;
  private lastSweepTotal: number | undefined;
  /** Why sweeps cannot run until the configuration changes (e.g. no account service), else null. */
  private sweepBlocker: string | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly stall: StallWatch;
  private stallTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | null = null;
  private readonly lock: StateLock;
  /** oio_repaird_service_* from every container's outcome, labels from the conscience's meta2 list. */
  private readonly serviceHealth: ServiceHealth;
  /** Where serviceHealth is kept across restarts. */
  private readonly serviceHealthFile: ServiceHealthFile;
  private readonly fleet: Fleet | null;
  /** Containers to re-check first, and the lane that re-checks them between sweeps. */
  private readonly suspects: Suspects;
  private readonly suspectsLane: SuspectsLane;
  /** Suspension, circuit breaker, blackouts and the control socket. */
  readonly controls: ControlService;

  private constructor(opts: DaemonOptions, journal: Journal, lock: StateLock) {
    this.opts = opts;
    this.lock = lock;
    this.config = opts.config;
    this.runtime = runtimeOptions(opts.config);
    this.log = opts.log;
    this.journal = journal;
    this.metrics = createMetrics({ version: VERSION });
    const c = this.config;
    const rt = this.runtime;
    this.status = new StatusBoard(journal);
    this.serviceHealth = new ServiceHealth(this.metrics, this.log.child({ component: 'service-health' }));
    // Fleet mode only with a `fleet` section: without it, nothing of src/fleet/ runs.
    this.fleet = c.fleet ? new Fleet({ config: c.fleet, namespace: c.proxy.namespace, log: this.log, metrics: this.metrics, limits: () => this.runtime.fleetLimits }) : null;
    const stateLog = this.log.child({ component: 'state' });
    this.serviceHealthFile = new ServiceHealthFile(c.state.dir, this.serviceHealth, stateLog, (bad) => this.metrics.stateFileProblems.inc({ file: 'service_health', problem: bad.problem }));
    this.storage = new StorageHealth({
      metrics: this.metrics,
      log: stateLog,
      paths: { journal: c.journal.path, repair_history: join(c.state.dir, GATE_FILE), sweep_position: join(c.state.dir, STATE_FILE), controls: join(c.state.dir, CONTROLS_FILE), suspects: join(c.state.dir, SUSPECTS_FILE) },
    });
    const journalSink = this.storage.journal(this.status.journal);
    this.controls = new ControlService({
      stateDir: c.state.dir,
      log: this.log.child({ component: 'controls' }),
      metrics: this.metrics,
      journal: journalSink,
      config: () => this.config,
      storage: { ok: () => this.storage.ok('controls'), failed: (err) => this.storage.failed('controls', err) },
    });
    this.sweeper = new Sweeper({
      config: c,
      log: this.log,
      metrics: this.metrics,
      journal: journalSink,
      controls: this.controls,
      onProxyAnswer: () => (this.lastProxyAnswerAt = systemClock.now()),
      gateStore: new FileGateStore(c.state.dir, stateLog, {
        onSaved: () => this.storage.ok('repair_history'),
        onSaveFailed: (err) => this.storage.failed('repair_history', err),
      }),
      ...(this.fleet ? { fence: { reason: (cid: string) => this.fleet?.fenceReason(cid) ?? null, onRefused: () => this.fleet?.onFenced() } } : {}),
    });
    const onBadPosition = (bad: { problem: 'corrupt' | 'unreadable' }): void => this.metrics.stateFileProblems.inc({ file: 'sweep_position', problem: bad.problem });
    this.state = this.storage.sweepState(new FileSweepStateStore(c.state.dir, stateLog, onBadPosition));
    this.history = new FileSweepHistory(c.state.dir, stateLog);
    this.stall = new StallWatch({
      stallMs: rt.stall.stallMs,
      skipAfter: rt.stall.skipAfter,
      stateDir: c.state.dir,
      log: this.log.child({ component: 'stall-watch' }),
      metrics: this.metrics,
    });
    this.suspects = new Suspects({
      stateDir: c.state.dir,
      log: stateLog,
      maxEntries: rt.suspects.maxEntries,
      clearAfterHealthy: rt.suspects.clearAfterHealthy,
      onBadFile: (bad) => this.metrics.stateFileProblems.inc({ file: 'suspects', problem: bad.problem }),
    });
    this.suspectsLane = new SuspectsLane({
      suspects: this.suspects,
      intervalMs: rt.suspects.intervalMs,
      maxPerRun: rt.suspects.maxPerRun,
      concurrency: rt.suspects.concurrency,
      // Not in fleet mode: there each container belongs to one member's buckets, walked per epoch.
      step: () => (this.fleet === null && this.sweeper.unsupportedProxy === null ? this.sweeper.containerStep(this.config) : null),
      busy: () => this.stopping !== null || this.scheduler.isRunning(),
      limiter: () => this.sweeper.probeLimiter(this.config),
      onOutcome: (outcome) => this.serviceHealth.observe(outcome),
      onSaved: () => {
        this.storage.ok('suspects');
        void this.serviceHealthFile.save();
      },
      onSaveFailed: (err) => this.storage.failed('suspects', err),
      metrics: this.metrics,
      log: this.log.child({ component: 'suspects' }),
    });
    this.sd = new SdNotify({ log: this.log.child({ component: 'systemd' }), env: opts.env });
    this.scheduler = new SweepScheduler({
      ...rt.schedule,
      log: this.log,
      // Fleet mode: the schedule makes the leader start the next epoch; members walk on their own.
      startSweep: () => (this.fleet ? this.fleet.onSchedule() : this.sweep()),
    });
  }

  /** Opens the journal, serves /metrics, arms the schedule and tells systemd it is ready. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    // First: a second daemon on this state directory must not touch anything (StateDirLockedError).
    const lock = await lockStateDir(opts.config.state.dir, opts.log.child({ component: 'state' }));
    let journal: Journal;
    try {
      // With the lock held, any temp file is from a write cut short by a crash.
      await removeStaleTempFiles(opts.config.state.dir, opts.log.child({ component: 'state' }));
      const settings = runtimeOptions(opts.config).journal;
      journal = await Journal.open(settings.path, journalRotation(settings, opts.log.child({ component: 'journal' })));
    } catch (err) {
      await lock.release();
      throw err;
    }
    const daemon = new Daemon(opts, journal, lock);
    try {
      await daemon.startServices();
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  private async startServices(): Promise<void> {
    const c = this.config;
    const rt = this.runtime;
    await this.sweeper.restoreHistory();
    await this.controls.start();
    await this.restoreLastSweep();
    await this.serviceHealthFile.load();
    this.http = await startHttpServer({
      listen: rt.metricsServer.listen,
      registry: this.metrics.registry,
      readiness: () => this.readiness(),
      log: this.log.child({ component: 'http' }),
      pages: { '/': () => this.statusPage(), '/runbook': runbookPage },
      maxConnections: rt.metricsServer.maxConnections,
    });
    await this.pingProxy();
    this.heartbeat = setInterval(() => void this.pingProxy(), PROXY_HEARTBEAT_MS);
    this.heartbeat.unref();
    await this.stall.load();
    this.stallTimer = setInterval(() => this.stall.check(), Math.min(5000, Math.max(100, rt.stall.stallMs / 4)));
    this.stallTimer.unref();
    this.fleet?.start((walk) => this.sweep(walk));
    await this.suspects.load();
    await this.scheduler.start();
    this.suspectsLane.start();
    this.log.info(
      {
        version: VERSION,
        proxy: c.proxy.url,
        namespace: c.proxy.namespace,
        metrics: `http://${this.http.address.host.includes(':') ? `[${this.http.address.host}]` : this.http.address.host}:${this.http.address.port}/metrics`,
        metricsPort: this.http.address.port,
        mode: rt.policy.mode,
        schedule: rt.schedule.cron,
        journal: c.journal.path,
      },
      'ready',
    );
    this.sd.ready(`watching ${c.proxy.namespace} through ${c.proxy.url}`);
    // A stalled sweep withholds the pings: systemd restarts the daemon (WatchdogSec=).
    this.sd.startWatchdog(() => this.stopping === null && this.stall.stalled === null);
  }

  /**
   * The gauges "as of the last completed sweep" come back from the sweep history, so a restart
   * neither ages the success timestamp to 0 (stale-sweep alert) nor clears known damage.
   */
  private async restoreLastSweep(): Promise<void> {
    const last = lastSuccess(await this.history.load());
    await this.status.restore(this.journal.path, last?.unrepairableContainers ?? [], this.log);
    if (!last) return;
    publishCompletedSweep(this.metrics, { damagedReplicas: last.damagedReplicas, unrepairable: last.unrepairable, endedAtMs: Date.parse(last.endedAt) });
    this.lastSweepTotal = last.done;
    this.log.info({ sweepId: last.sweepId, endedAt: last.endedAt, done: last.done, unrepairable: last.unrepairable }, 'last completed sweep restored');
  }

  /** The address /metrics listens on (the real port when 0 was configured). */
  metricsAddress(): { host: string; port: number } | null {
    return this.http ? { ...this.http.address } : null;
  }

  private async pingProxy(): Promise<void> {
    try {
      const services = await this.sweeper.proxy.listServices('meta2');
      this.serviceHealth.setServices(services.map((s) => s.addr));
    } catch (err) {
      this.log.debug({ err }, 'proxy heartbeat failed');
    }
  }

  private readiness(): { ready: boolean; reason?: string; notes?: readonly string[] } {
    const state = this.readinessState();
    const notes = this.controls.readinessNotes();
    return notes.length > 0 ? { ...state, notes } : state;
  }

  private readinessState(): { ready: boolean; reason?: string } {
    if (this.stopping) return { ready: false, reason: 'stopping' };
    const stalled = this.stall.stalled;
    if (stalled !== null) return { ready: false, reason: stalled };
    if (this.sweepBlocker !== null) return { ready: false, reason: this.sweepBlocker };
    if (this.sweeper.unsupportedProxy !== null) return { ready: false, reason: this.sweeper.unsupportedProxy };
    const fenced = this.fleet?.notReadyReason() ?? null;
    if (fenced !== null) return { ready: false, reason: fenced };
    const storage = this.storage.problem();
    if (storage) return { ready: false, reason: storage };
    const age = systemClock.now() - this.lastProxyAnswerAt;
    if (this.lastProxyAnswerAt === 0) return { ready: false, reason: `proxy ${this.config.proxy.url} has not answered yet` };
    if (age > proxyStaleLimitMs(this.config)) return { ready: false, reason: `proxy ${this.config.proxy.url} has not answered for ${Math.round(age / 1000)}s` };
    return { ready: true };
  }

  /**
   * One sweep with the current configuration. Called only through the scheduler's guard, or in
   * fleet mode as one walk of an epoch (its buckets only, no resume file, paused while fenced).
   */
  private async sweep(walk?: FleetWalk): Promise<SweepSummary> {
    this.status.sweepStarted();
    const fleet = this.fleet;
    this.controls.sweepStarted();
    const summary = await this.sweeper.run(this.config, {
      signal: walk ? AbortSignal.any([this.stopSweeps.signal, walk.signal]) : this.stopSweeps.signal,
      state: walk ? new MemorySweepStateStore() : this.state,
      ...(walk && fleet ? { allowed: walk.allowed, wrapRepair: (repair: RepairFn) => fleet.wrapRepair(repair) } : {}),
      ...(this.lastSweepTotal !== undefined ? { expectedTotal: this.lastSweepTotal } : {}),
      wrapProbe: (probe) => (ref, ctx) => {
        if (this.stall.shouldSkip(ref)) return Promise.resolve(this.stall.skippedReport(ref));
        this.stall.started(ref);
        return probe(ref, ctx).then((report) => {
          this.controls.observe(report);
          return report;
        });
      },
      overrides: {
        onContainerDone: (ref) => this.stall.done(ref),
        onContainerOutcome: (outcome) => {
          this.serviceHealth.observe(outcome);
          this.suspects.observe(outcome);
        },
        onProgress: (p) => this.reportProgress(p),
        ...(walk ? { select: walk.select, pauseCheckMs: 250 } : {}),
      },
    });
    this.stall.sweepEnded();
    await this.suspectsLane.save();
    await this.serviceHealthFile.save();
    await this.history.record(summary, this.status.sweepEnded(summary));
    if (sweepSucceeded(summary.result)) this.lastSweepTotal = summary.counts.done;
    this.sweepBlocker = summary.error?.permanent ? summary.error.message : null;
    this.sd.status(`last sweep ${summary.result} at ${summary.endedAt}: ${summary.counts.done} containers`);
    return summary;
  }

  private reportProgress(p: ProgressFields): void {
    this.status.progress(p);
    this.sd.status(`sweep: ${p.done}${p.total ? ` of ~${p.total}` : ''} containers, ${p.rate}/s, ${p.damaged} damaged, ${p.repairs} repairs${p.paused ? ' (paused outside its window)' : ''}`);
  }

  /** GET / on the metrics listener. */
  private statusPage(): string {
    const c = this.config;
    return renderStatusPage(this.status.view({
      version: VERSION,
      namespace: c.proxy.namespace,
      proxyUrl: c.proxy.url,
      mode: this.runtime.policy.mode,
      ready: this.readiness(),
      nextSweep: this.scheduler.nextRun()?.toISOString() ?? null,
      unrepairableCount: this.lastUnrepairableCount(),
      budgetRemaining: this.sweeper.gate.remaining(),
      runbookUrl: '/runbook',
    }, this.history.list(), this.controls.statusLines()));
  }

  private lastUnrepairableCount(): number {
    return lastSuccess(this.history.list())?.unrepairable ?? 0;
  }

  /**
   * SIGHUP: re-reads and validates the configuration as `run` does. An invalid one is refused and
   * the running one kept. Of a valid one, the settings the schema marks reloadable apply (the
   * schedule, repair policy and log level at once, the rest from the next sweep); the others keep
   * their running value until a restart. One log line lists both. Returns success.
   */
  async reload(): Promise<boolean> {
    this.sd.reloading();
    const loaded = await loadRunnableConfig(this.opts.configPath, this.opts.env);
    if (!loaded.ok) {
      this.metrics.configReloads.inc({ result: 'failure' });
      this.metrics.configLastReloadSuccessful.set(0);
      this.log.error({ issues: loaded.errors, detail: formatIssues(loaded.errors) }, 'configuration reload refused, keeping the running configuration');
      this.sd.ready();
      return false;
    }
    const diff = diffSettings(this.config, loaded.config);
    const kept: Config = configAfterReload(this.config, loaded.config);
    const rt = runtimeOptions(kept);
    const { cron, timezone, jitterSeconds } = rt.schedule;
    await this.scheduler.reschedule(cron, { timezone, jitterSeconds });
    this.sweeper.gate.setPolicy(rt.policy);
    this.config = kept;
    this.runtime = rt;
    this.log.level = kept.log.level;
    this.metrics.configReloads.inc({ result: 'success' });
    this.metrics.configLastReloadSuccessful.set(1);
    this.log[diff.restartNeeded.length > 0 ? 'warn' : 'info'](
      { applied: diff.applied, restartNeeded: diff.restartNeeded, schedule: rt.schedule.cron, mode: rt.policy.mode },
      `configuration reloaded: ${describeReload(diff)}`,
    );
    this.sd.ready();
    return true;
  }

  /**
   * Graceful stop: no new sweep, the running one takes no new container and lets in-flight
   * probes and repairs finish (their journal entries included), saves its position; then the
   * servers, clients and journal close. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.log.info('stopping: no new containers, waiting for in-flight repairs');
    this.sd.stopping();
    this.sd.stop();
    clearInterval(this.heartbeat);
    clearInterval(this.stallTimer);
    this.stopSweeps.abort(new Error('daemon stopping'));
    await this.fleet?.stop();
    await this.scheduler.stop();
    await this.scheduler.idle();
    await this.suspectsLane.stop();
    await this.serviceHealthFile.save();
    await this.http?.close();
    await this.sweeper.close();
    await this.controls.close();
    await this.stall.flush();
    this.storage.close();
    await this.journal.close();
    await this.sd.settled();
    await this.lock.release();
  }
}
