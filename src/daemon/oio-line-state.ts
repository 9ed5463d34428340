// The daemon's knowledge of the oio-sds line it talks to, across sweeps: the decision of
// src/probe/oio-line.ts from each sweep's proxy check (and, with `auto`, the first replica table
// read), applied to the proxy client (what it sends), to the probe options (which keys are
// required, how an empty table reads) and to the log (what was detected and why, once per change).
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ProxyClient } from '../oio/proxy-client.js';
import { requiredKeysFor, traitsOf, type OioLine } from '../oio/versions.js';
import { decideLine, type LineDecision, type LineSigns } from '../probe/oio-line.js';
import type { ContainerReport } from '../probe/types.js';

/** The probe options that follow the line. */
export interface LineProbeOptions {
  readonly requiredKeys: readonly string[];
  readonly emptyMayBeUnreachable: boolean;
}

export class OioLineState {
  private decision: LineDecision | undefined;
  private signs: LineSigns = {};
  private readonly warned = new Set<string>();
  private lastLogged = '';
  private lastProbeOptions: { readonly line: OioLine | undefined; readonly configured: readonly string[]; readonly options: LineProbeOptions } | undefined;

  constructor(private readonly log: Logger) {}

  /** The line adapted to now (undefined: not known yet, the cautious traits apply). */
  get line(): OioLine | undefined {
    return this.decision?.line;
  }

  probeOptions(config: Config): LineProbeOptions {
    // Asked once per container: computed again only when the line or the configured keys change.
    const line = this.line;
    const keys = config.probe.requiredKeys;
    const cached = this.lastProbeOptions;
    if (cached !== undefined && cached.line === line && cached.configured === keys) return cached.options;
    const options = {
      requiredKeys: requiredKeysFor(line, keys).keys,
      emptyMayBeUnreachable: !traitsOf(line).unreachableReadIs503,
    };
    this.lastProbeOptions = { line, configured: keys, options };
    return options;
  }

  /** At start: a configured line is applied at once (its warning logged); `auto` waits for the first sweep. */
  start(config: Config, proxy: ProxyClient): void {
    if (config.proxy.oioVersion === 'auto') return;
    this.apply(config, proxy, {});
  }

  /** Decides from this sweep's signs, adapts the client and logs; the caller refuses on `refuse`. */
  apply(config: Config, proxy: ProxyClient, signs: LineSigns): LineDecision {
    this.signs = signs;
    return this.adopt(config, proxy, decideLine(config.proxy.oioVersion, config.probe.transport, signs));
  }

  /** With `auto`, narrows the line from the first initialised replica table a sweep read (no request). */
  refine(config: Config, proxy: ProxyClient, report: ContainerReport): void {
    if (config.proxy.oioVersion !== 'auto' || this.signs.tableKeys !== undefined || this.decision?.refuse) return;
    const table = report.replicas.find((r) => r.table?.system['sys.m2.init'] !== undefined)?.table;
    if (!table) return;
    this.signs = { ...this.signs, tableKeys: Object.keys(table.system) };
    this.adopt(config, proxy, decideLine('auto', config.probe.transport, this.signs));
  }

  private adopt(config: Config, proxy: ProxyClient, decision: LineDecision): LineDecision {
    this.decision = decision;
    proxy.line = decision.line;
    const { dropped } = requiredKeysFor(decision.line, config.probe.requiredKeys);
    const key = `${decision.line ?? '-'} ${decision.label} ${dropped.join(',')}`;
    if (key !== this.lastLogged) {
      this.lastLogged = key;
      this.log.info(
        { oioVersion: config.proxy.oioVersion, line: decision.line ?? null, detected: decision.label, why: decision.why, transport: config.probe.transport, ...(dropped.length > 0 ? { requiredKeysNotOnThisLine: dropped } : {}) },
        decision.line === undefined ? 'oio-sds line not detected yet: the most cautious behaviour applies' : `oio-sds line: ${decision.label}`,
      );
    }
    // Once per daemon: the warning is about the line's reads, whatever label narrows it later.
    if (decision.warn && !this.warned.has('election-reads')) {
      this.warned.add('election-reads');
      this.log.warn({ line: decision.line, transport: config.probe.transport }, decision.warn);
    }
    return decision;
  }
}
