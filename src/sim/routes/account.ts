// The account service's listing routes (oio-api-sources §2.1, fact 39): `GET /v1.0/account/list`
// and `GET /v1.0/account/containers?id=`, paged by an exclusive lexicographic `marker`, `prefix`,
// `limit` (default 1000, max 10000). O(page), never a scan, except the 7.x-and-older
// `account/list`, which is one plain array of every account and ignores limit and marker.
import { type Reply, SimHttpError, badRequest, jsonReply, notFoundRoute } from '../wire.js';
import type { SimContext, SimRequest } from './context.js';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

function limitOf(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null || raw === '') return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw badRequest(`Invalid limit: ${raw}`);
  return Math.min(MAX_LIMIT, Math.max(1, n));
}

/** 7.x and older answer their listings as `text/json` (fact 39). */
function oldJson(value: unknown): Reply {
  return { ...jsonReply(200, value), headers: { 'content-type': 'text/json' } };
}

function listAccounts(ctx: SimContext, req: SimRequest): Reply {
  if (ctx.quirks.oldAccountService) {
    const all = ctx.ns.listAccounts('', '', Number.MAX_SAFE_INTEGER).items;
    if (all.length === 0) throw new SimHttpError(404, 404, 'No account found');
    return oldJson(all);
  }
  const page = ctx.ns.listAccounts(req.query.get('prefix') ?? '', req.query.get('marker') ?? '', limitOf(req.query));
  const body: Record<string, unknown> = { listing: page.items.map((id) => ({ id })), truncated: page.truncated };
  if (page.truncated) body['next_marker'] = page.items[page.items.length - 1];
  return jsonReply(200, body);
}

function listContainers(ctx: SimContext, req: SimRequest): Reply {
  const id = req.query.get('id');
  if (id === null || id === '') throw badRequest('Missing Account ID');
  if (!ctx.ns.accountExists(id)) throw new SimHttpError(404, 404, 'Account not found');
  const page = ctx.ns.listContainers(id, req.query.get('prefix') ?? '', req.query.get('marker') ?? '', limitOf(req.query));
  const body: Record<string, unknown> = {
    id,
    ctime: '1500000000.0',
    bytes: 0,
    objects: 0,
    containers: ctx.ns.containerCount(id),
    metadata: {},
    listing: page.items,
  };
  if (ctx.quirks.oldAccountService) return oldJson(body);
  body['truncated'] = page.truncated;
  if (page.truncated) body['next_marker'] = page.items[page.items.length - 1]?.[0];
  return jsonReply(200, body);
}

const ROUTES = new Map<string, (ctx: SimContext, req: SimRequest) => Reply>([
  ['GET list', listAccounts],
  ['GET containers', listContainers],
]);

export function accountRouteKey(method: string, route: string): string | undefined {
  const key = `${method} ${route}`;
  return ROUTES.has(key) ? `account ${key}` : undefined;
}

/** Answers `/v1.0/account/{route}`. */
export function handleAccount(ctx: SimContext, req: SimRequest): Reply {
  const handler = ROUTES.get(`${req.method} ${req.route}`);
  if (!handler) throw notFoundRoute();
  return handler(ctx, req);
}
