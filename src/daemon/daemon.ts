// The long-running daemon (`oio-repaird run`): wires configuration, the proxy and account
// clients, the sweep, the scheduler, the journal, /metrics and systemd notification together,
// and owns their lifecycle: start, SIGHUP reload, graceful stop. The decisions live elsewhere
// (probe/, repair/, sweep/); this file only assembles and sequences.
import { loadConfig } from '../config/load.js';
import { formatIssues } from '../config/errors.js';
import { diffRequiresRestart, type Config } from '../config/schema.js';
import type { AccountFilter } from '../discover/enumerate.js';
import { startHttpServer, type RunningHttpServer } from '../http/server.js';
import { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import { codeClass, createMetrics, type Metrics } from '../metrics/metrics.js';
import { createProxyClient, type ProxyClient } from '../oio/proxy-client.js';
import type { HttpClientOptions } from '../oio/http.js';
import type { ContainerRef } from '../oio/types.js';
import type { ContainerReport } from '../probe/types.js';
import { probeContainer } from '../probe/probe.js';
import { repairContainer } from '../repair/execute.js';
import { SweepScheduler } from '../schedule/scheduler.js';
import { windowGate } from '../schedule/windows.js';
import { RepairGate, type RepairPolicy } from '../sweep/repair-gate.js';
import { FileSweepStateStore } from '../sweep/state.js';
import { runSweep, type SweepSummary } from '../sweep/sweep.js';
import { VERSION } from '../version.js';
import { DiscoveredAccountService } from './account-service.js';
import { SdNotify } from './sd-notify.js';

export interface DaemonOptions {
  readonly config: Config;
  /** Where the configuration came from (re-read on SIGHUP). */
  readonly configPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** How often the proxy is pinged between sweeps, so /readyz and proxy_up stay current. */
const PROXY_HEARTBEAT_MS = 15_000;
/** /readyz is 503 when the proxy has not answered for this long. */
const PROXY_STALE_MS = 60_000;

export function repairPolicy(config: Config): RepairPolicy {
  const r = config.repair;
  return {
    mode: r.mode === 'report-only' || r.dryRun ? 'report-only' : 'auto',
    maxPerSweep: r.budgetPerSweep,
    maxPerHour: r.budgetPerHour,
    cooldownSeconds: r.cooldownMinutes * 60,
    maxAttempts: r.maxAttempts,
    backoffSeconds: r.backoffSeconds,
    backoffMaxSeconds: r.backoffMaxSeconds,
    repairMaster: r.repairMaster,
  };
}

export function accountFilter(config: Config): AccountFilter {
  const include = config.accounts.include;
  const exclude = { exclude: config.accounts.exclude.names, excludePrefixes: config.accounts.exclude.prefixes };
  if (include === 'all') return { include: 'all', ...exclude };
  if ('names' in include) return { names: include.names, ...exclude };
  return { prefixes: include.prefixes, ...exclude };
}

export class Daemon {
  readonly metrics: Metrics;
  readonly log: Logger;
  private config: Config;
  private readonly opts: DaemonOptions;
  private readonly proxy: ProxyClient;
  private readonly accounts: DiscoveredAccountService;
  private readonly journal: Journal;
  private readonly state: FileSweepStateStore;
  private gate: RepairGate;
  private readonly scheduler: SweepScheduler;
  private readonly sd: SdNotify;
  private http: RunningHttpServer | null = null;
  private readonly stopSweeps = new AbortController();
  private lastProxyAnswerAt = 0;
  private lastSweepTotal: number | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | null = null;

  private constructor(opts: DaemonOptions, journal: Journal) {
    this.opts = opts;
    this.config = opts.config;
    this.log = opts.log;
    this.journal = journal;
    this.metrics = createMetrics({ version: VERSION });
    const c = this.config;
    const http: Omit<HttpClientOptions, 'url'> = {
      connections: c.proxy.connections,
      connectTimeoutMs: c.proxy.connectTimeoutMs,
      headersTimeoutMs: c.proxy.requestTimeoutMs,
      bodyTimeoutMs: c.proxy.requestTimeoutMs,
      onRequest: (route, status, seconds) => this.onProxyRequest(route, status, seconds),
    };
    this.proxy = createProxyClient({ ...http, url: c.proxy.url, namespace: c.proxy.namespace });
    this.accounts = new DiscoveredAccountService(this.proxy, http, c.account.url);
    this.state = new FileSweepStateStore(c.state.dir, this.log.child({ component: 'state' }));
    this.gate = new RepairGate(repairPolicy(c));
    this.sd = new SdNotify({ log: this.log.child({ component: 'systemd' }), env: opts.env });
    this.scheduler = new SweepScheduler({
      cron: c.schedule.cron,
      timezone: c.schedule.timezone,
      jitterSeconds: c.schedule.jitterSeconds,
      runAtStart: c.schedule.runAtStart,
      log: this.log,
      startSweep: () => this.sweep(),
    });
  }

  /** Opens the journal, serves /metrics, arms the schedule and tells systemd it is ready. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const journal = await Journal.open(opts.config.journal.path);
    const daemon = new Daemon(opts, journal);
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
    this.metrics.repairBudgetRemaining.set(this.gate.remaining());
    this.http = await startHttpServer({
      listen: c.metrics.listen,
      registry: this.metrics.registry,
      readiness: () => this.readiness(),
      log: this.log.child({ component: 'http' }),
    });
    await this.pingProxy();
    this.heartbeat = setInterval(() => void this.pingProxy(), PROXY_HEARTBEAT_MS);
    this.heartbeat.unref();
    await this.scheduler.start();
    this.log.info(
      {
        version: VERSION,
        proxy: c.proxy.url,
        namespace: c.proxy.namespace,
        metrics: `http://${this.http.address.host.includes(':') ? `[${this.http.address.host}]` : this.http.address.host}:${this.http.address.port}/metrics`,
        metricsPort: this.http.address.port,
        mode: repairPolicy(c).mode,
        schedule: c.schedule.cron,
        journal: c.journal.path,
      },
      'ready',
    );
    this.sd.ready(`watching ${c.proxy.namespace} through ${c.proxy.url}`);
    this.sd.startWatchdog(() => this.stopping === null);
  }

  /** The address /metrics listens on (the real port when 0 was configured). */
  metricsAddress(): { host: string; port: number } | null {
    return this.http ? { ...this.http.address } : null;
  }

  private onProxyRequest(route: string, status: number | undefined, seconds: number): void {
    this.metrics.proxyRequestDuration.observe({ route, code_class: codeClass(status) }, seconds);
    if (route.startsWith('account/')) return;
    this.metrics.proxyUp.set(status === undefined ? 0 : 1);
    if (status !== undefined) this.lastProxyAnswerAt = Date.now();
  }

  private async pingProxy(): Promise<void> {
    try {
      await this.proxy.listServices('meta2');
    } catch (err) {
      this.log.debug({ err }, 'proxy heartbeat failed');
    }
  }

  private readiness(): { ready: boolean; reason?: string } {
    if (this.stopping) return { ready: false, reason: 'stopping' };
    const age = Date.now() - this.lastProxyAnswerAt;
    if (this.lastProxyAnswerAt === 0) return { ready: false, reason: `proxy ${this.config.proxy.url} has not answered yet` };
    if (age > PROXY_STALE_MS) return { ready: false, reason: `proxy ${this.config.proxy.url} has not answered for ${Math.round(age / 1000)}s` };
    return { ready: true };
  }

  /** One sweep with the current configuration. Called only through the scheduler's guard. */
  private async sweep(): Promise<SweepSummary> {
    const c = this.config;
    const requiredKeys = c.probe.requiredKeys;
    const verify = (ref: ContainerRef, reqId: string) => probeContainer(this.proxy, ref, { requiredKeys, alwaysElection: true, reqId });
    const repair = (report: ContainerReport, reqId: string, dryRun: boolean) =>
      repairContainer(this.proxy, report, {
        dryRun,
        journal: this.journal,
        probe: (ref) => verify(ref, reqId),
        reqId,
        log: this.log.child({ cid: report.ref.cid, reqId }),
        verifyAttempts: c.repair.verifyAttempts,
        verifyDelayMs: c.repair.verifyDelayMs,
        awaitMasterTimeoutMs: c.repair.awaitMasterTimeoutMs,
      });
    const summary = await runSweep(
      {
        accounts: this.accounts,
        locate: (ref, ctx) => this.proxy.locate(ref, { reqId: ctx.reqId }),
        probe: (ref, ctx) => probeContainer(this.proxy, ref, { requiredKeys, reqId: ctx.reqId, ...(ctx.peers ? { peers: ctx.peers } : {}) }),
        repair: (report, ctx) => repair(report, ctx.reqId, false),
        // report-only mode: the plan goes to the journal as dry-run steps, nothing is changed.
        previewRepair: (report, ctx) => repair(report, ctx.reqId, true),
        journal: this.journal,
        metrics: this.metrics,
        log: this.log,
        gate: this.gate,
        state: this.state,
      },
      {
        filter: accountFilter(c),
        concurrency: c.probe.concurrency,
        probesPerSecond: c.probe.probesPerSecond,
        perServiceConcurrency: c.probe.perServiceConcurrency,
        progressIntervalMs: c.progress.intervalSeconds * 1000,
        signal: this.stopSweeps.signal,
        ...(c.schedule.windows.length > 0 ? { isAllowedNow: windowGate(c.schedule.windows, c.schedule.timezone) } : {}),
        ...(this.lastSweepTotal !== undefined ? { expectedTotal: this.lastSweepTotal } : {}),
      },
    );
    if (summary.result === 'completed') this.lastSweepTotal = summary.counts.done;
    this.sd.status(`last sweep ${summary.result} at ${summary.endedAt}: ${summary.counts.done} containers`);
    return summary;
  }

  /**
   * SIGHUP: re-reads and validates the configuration. An invalid one is refused and the running
   * one kept; a valid one applies to the next sweep (schedule, limits, policy). Returns success.
   */
  async reload(): Promise<boolean> {
    this.sd.reloading();
    const loaded = await loadConfig(this.opts.configPath, this.opts.env);
    if (!loaded.ok) {
      this.metrics.configReloads.inc({ result: 'failure' });
      this.metrics.configLastReloadSuccessful.set(0);
      this.log.error({ issues: loaded.errors, detail: formatIssues(loaded.errors) }, 'configuration reload refused, keeping the running configuration');
      this.sd.ready();
      return false;
    }
    const next = loaded.config;
    const restartOnly = diffRequiresRestart(this.config, next);
    if (restartOnly.length > 0) this.log.warn({ keys: restartOnly }, 'these settings change only at restart; keeping their running values');
    const applied: Config = { ...next, metrics: this.config.metrics, state: this.config.state, journal: this.config.journal };
    if (restartOnly.length === 0 && (next.proxy.url !== this.config.proxy.url || next.proxy.namespace !== this.config.proxy.namespace)) {
      this.log.warn('proxy.url and proxy.namespace change only at restart; keeping their running values');
    }
    const kept: Config = { ...applied, proxy: this.config.proxy, account: this.config.account };
    if (kept.schedule.cron !== this.config.schedule.cron) await this.scheduler.reschedule(kept.schedule.cron);
    this.gate.setPolicy(repairPolicy(kept));
    this.config = kept;
    this.log.level = kept.log.level;
    this.metrics.configReloads.inc({ result: 'success' });
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.repairBudgetRemaining.set(this.gate.remaining());
    this.log.info({ schedule: kept.schedule.cron, mode: repairPolicy(kept).mode }, 'configuration reloaded');
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
    this.stopSweeps.abort(new Error('daemon stopping'));
    await this.scheduler.stop();
    await this.scheduler.idle();
    await this.http?.close();
    await this.accounts.close();
    await this.proxy.close();
    await this.journal.close();
    await this.sd.settled();
  }
}
