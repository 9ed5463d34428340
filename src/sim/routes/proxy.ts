// The proxy's route table under `/v3.0/{NS}/`: method + route → handler. Unknown routes and
// wrong methods answer 404 "No handler found" (the method is part of the route key, as in
// proxy/metacd_http.c); a known route under another namespace answers 400.
import { type Reply, SimHttpError, notFoundRoute } from '../wire.js';
import type { SimContext, SimRequest } from './context.js';
import { PER_PEER_ACTIONS, perPeerRoute } from './admin-peer.js';
import { containerShow, getProperties, setProperties } from './admin-props.js';
import { conscienceList, lbChoose, referenceShow } from './directory.js';

type Handler = (ctx: SimContext, req: SimRequest) => Reply | Promise<Reply>;

const ROUTES = new Map<string, Handler>([
  ['GET reference/show', referenceShow],
  ['GET conscience/list', conscienceList],
  ['GET lb/choose', lbChoose],
  ['GET container/show', containerShow],
  ['POST admin/get_properties', getProperties],
  ['POST admin/set_properties', setProperties],
  ...PER_PEER_ACTIONS.map((action): [string, Handler] => [`POST admin/${action}`, (ctx, req) => perPeerRoute(ctx, req, action)]),
]);

/** Route key for the stats, or undefined when no handler exists. */
export function proxyRouteKey(method: string, route: string): string | undefined {
  const key = `${method} ${route}`;
  return ROUTES.has(key) ? key : undefined;
}

/** Answers one proxy request; `namespace` is the path segment the client sent. */
export async function handleProxy(ctx: SimContext, req: SimRequest, namespace: string): Promise<Reply> {
  const handler = ROUTES.get(`${req.method} ${req.route}`);
  if (!handler) throw notFoundRoute();
  if (namespace !== ctx.ns.name) throw new SimHttpError(400, 400, "Invalid parameter 'namespace'");
  return handler(ctx, req);
}
