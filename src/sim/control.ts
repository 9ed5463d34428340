// Control routes under `/__sim/`, so another process (the benchmark, the CLI demo) can steer
// and observe a running simulator: list injected faults, read and reset stats, read a
// container's ground truth, inject a fault. Not part of the OpenIO API.
import type { IncomingHttpHeaders } from 'node:http';
import { isCid } from '../oio/cid.js';
import type { ContainerTruth } from './model.js';
import { truthOf } from './model.js';
import type { SimNamespace } from './namespace.js';
import { SimFaultError } from './faults.js';
import { ScenarioError, parseFault } from './scenario.js';
import type { StatsRecorder } from './stats.js';
import type { LoadModel } from './load.js';
import { type Reply, SimHttpError, badRequest, jsonReply, notFoundRoute } from './wire.js';

export interface ControlRequest {
  readonly method: string;
  readonly route: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Ground truth by uppercase CID, or by account and container name. */
export function lookupTruth(ns: SimNamespace, query: URLSearchParams): ContainerTruth | undefined {
  const cid = query.get('cid');
  if (cid) {
    if (!isCid(cid)) throw badRequest('Invalid cid');
    const c = ns.findByCid(cid.toUpperCase());
    return c ? truthOf(c) : undefined;
  }
  const account = query.get('acct');
  const ref = query.get('ref');
  if (!account || !ref) throw badRequest('cid, or acct and ref, required');
  const c = ns.findByName(account, ref);
  return c ? truthOf(c) : undefined;
}

export function handleControl(ns: SimNamespace, stats: StatsRecorder, req: ControlRequest, load?: LoadModel): Reply {
  const key = `${req.method} ${req.route}`;
  switch (key) {
    case 'GET load':
      return jsonReply(200, load?.snapshot() ?? null);
    case 'POST load': {
      // {"backgroundRps": N}: background client traffic from now on.
      let rps: unknown;
      try {
        rps = (JSON.parse(req.body) as { backgroundRps?: unknown }).backgroundRps;
      } catch {
        throw badRequest('Invalid JSON');
      }
      if (typeof rps !== 'number' || !Number.isFinite(rps) || rps < 0) throw badRequest('backgroundRps must be a number >= 0');
      if (!load) throw badRequest('this simulator has no load model');
      load.setBackground(rps);
      return jsonReply(200, load.snapshot());
    }
    case 'GET faults':
      return jsonReply(200, ns.injected());
    case 'GET stats':
      return jsonReply(200, stats.snapshot(ns.materialisedCount));
    case 'POST drop_cache':
      // Closes the bases changed on disk, as a meta2 restart would (admin/drop_cache does not, fact 24).
      return jsonReply(200, { closed: ns.dropCaches(req.query.get('service') ?? undefined) });
    case 'POST stats/reset':
      stats.reset();
      return { status: 204 };
    case 'GET truth': {
      const truth = lookupTruth(ns, req.query);
      if (!truth) throw new SimHttpError(404, 404, 'no such container');
      return jsonReply(200, truth);
    }
    case 'POST inject': {
      let doc: unknown;
      try {
        doc = JSON.parse(req.body);
      } catch {
        throw badRequest('Invalid JSON');
      }
      try {
        return jsonReply(201, ns.inject(parseFault(doc), 'inject'));
      } catch (err) {
        if (err instanceof ScenarioError || err instanceof SimFaultError) throw badRequest(err.message);
        throw err;
      }
    }
    default:
      throw notFoundRoute();
  }
}
