// What every simulator route receives: the namespace, the stats, the resync scheduler, and one
// request's parsed parts with its PeerVisit (the proxy's view of the services it contacts).
import type { IncomingHttpHeaders } from 'node:http';
import type { DiskContext } from '../disk.js';
import type { Scheduler } from '../election.js';
import type { SimNamespace } from '../namespace.js';
import type { StatsRecorder } from '../stats.js';
import type { ProxyQuirks } from '../versions.js';
import type { PeerVisit } from './visit.js';

export interface SimContext extends DiskContext {
  readonly ns: SimNamespace;
  readonly stats: StatsRecorder;
  readonly scheduler: Scheduler;
  /** Delay before a resync's copy lands on a slave. */
  readonly syncDelayMs: number;
  /** `host:port` the simulator listens on (the account service's address in conscience/list). */
  address(): string;
  /** An account service is registered in the conscience (SimulatorOptions.accountService). */
  readonly accountService: boolean;
  /** Time from a kill until the conscience marks the service down (SimulatorOptions.markDownAfterMs). */
  readonly markDownAfterMs: number;
  /** How the impersonated proxy version differs from master (SimulatorOptions.oioVersion). */
  readonly quirks: ProxyQuirks;
  /** The simulator's seeded random draws in [0, 1) (SimulatorOptions.seed): runs replay. */
  random(): number;
}

export interface SimRequest {
  readonly method: string;
  /** Route without the `/v3.0/{NS}/` prefix and without a trailing `/`, e.g. `admin/has`. */
  readonly route: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly visit: PeerVisit;
}
