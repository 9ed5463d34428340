// How long /readyz tolerates silence from the proxy, derived from the configuration rather than
// fixed: a proxy with a long request deadline must not flap the daemon's readiness, and a short
// one must not hide an outage for a minute. Pure, so a table test pins the figures.
import type { Config } from '../config/schema.js';
import { HTTP_DEFAULTS } from '../oio/http.js';
import { requestDeadlineMs } from '../config/runtime.js';

/** How often the proxy is pinged between sweeps, so /readyz and proxy_up stay current. */
export const PROXY_HEARTBEAT_MS = 15_000;

/**
 * /readyz is 503 when the proxy gave no answer for longer than this: two heartbeat periods plus
 * the longest a failing heartbeat can take (every attempt to its deadline, and the backoffs
 * between them). One lost heartbeat is tolerated; a proxy that no longer answers is not.
 */
export function proxyStaleLimitMs(config: Pick<Config, 'proxy'>): number {
  const attempts = 1 + HTTP_DEFAULTS.retries;
  const oneHeartbeatMs = attempts * requestDeadlineMs(config) + HTTP_DEFAULTS.retries * HTTP_DEFAULTS.retryMaxDelayMs;
  return 2 * PROXY_HEARTBEAT_MS + oneHeartbeatMs;
}
