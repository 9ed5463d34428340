// Parses how a proxy request names its container (`acct`+`ref` or `cid`), its `type` and its
// `service_id`, with the proxy's error texts. A lowercase CID names a different base than the
// uppercase one: it resolves in meta1 but no meta2 peer has it (real-behaviour 14).
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerId } from '../../oio/types.js';
import { isCid } from '../../oio/cid.js';
import type { Container } from '../model.js';
import type { SimNamespace } from '../namespace.js';
import { SimHttpError, badRequest } from '../wire.js';

/** What the request names: a known container, a base no peer has (`phantom`), or nothing known. */
export type Located =
  | { readonly kind: 'found'; readonly container: Container; readonly byCid: boolean }
  | { readonly kind: 'phantom'; readonly container: Container; readonly cid: string }
  | { readonly kind: 'unknown'; readonly cid: string | undefined };

export function locate(ns: SimNamespace, query: URLSearchParams): Located {
  const cid = query.get('cid');
  if (cid !== null && cid !== '') {
    if (!isCid(cid)) throw badRequest('Invalid oio url');
    const upper = cid.toUpperCase();
    const c = ns.findByCid(upper);
    if (!c) return { kind: 'unknown', cid: upper };
    return upper === cid ? { kind: 'found', container: c, byCid: true } : { kind: 'phantom', container: c, cid };
  }
  const account = query.get('acct');
  const ref = query.get('ref');
  if (account === null || account === '' || ref === null || ref === '') {
    throw badRequest(`Directory error: Incomplete URL [${ns.name}/${account ?? ''}]`);
  }
  const c = ns.findByName(account, ref);
  return c ? { kind: 'found', container: c, byCid: false } : { kind: 'unknown', cid: undefined };
}

/** `type` must be meta2 on admin routes. */
export function requireMeta2(query: URLSearchParams): void {
  const type = query.get('type');
  if (type === null || type === '') throw badRequest('No service type');
  if (type !== 'meta2') throw new SimHttpError(404, 431, 'No service located');
}

/** The `service_id` list, or undefined when absent. An empty value is "no service located". */
export function serviceIds(query: URLSearchParams): PeerId[] | undefined {
  const raw = query.get('service_id');
  if (raw === null) return undefined;
  const ids = raw.split(',').filter((s) => s !== '');
  if (ids.length === 0) throw new SimHttpError(404, 431, 'No service located');
  return ids;
}

export function noSuchUser(): SimHttpError {
  return new SimHttpError(404, 406, 'Directory error: no such user');
}

/** Fisher–Yates: the proxy visits peers in a shuffled order when no service_id is given. */
export function shuffled<T>(items: readonly T[]): T[] {
  return shuffledWith(items, Math.random);
}

/** Fisher–Yates with the given draws (the simulator's seeded ones where a run must replay). */
export function shuffledWith<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let k = out.length - 1; k > 0; k--) {
    const m = Math.floor(random() * (k + 1));
    [out[k], out[m]] = [out[m] as T, out[k] as T];
  }
  return out;
}

/** Whether the flag (query parameter or header) is set the way the proxy reads it (`local=1`, `true`, `yes`). */
export function flag(from: URLSearchParams | IncomingHttpHeaders, name: string): boolean {
  const raw = from instanceof URLSearchParams ? from.get(name) : from[name];
  const v = (Array.isArray(raw) ? raw[0] : raw) ?? null;
  return v !== null && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}
