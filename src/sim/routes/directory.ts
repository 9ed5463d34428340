// Directory and conscience routes: `reference/show` (meta1's view of a container's services)
// and `conscience/list` (the meta2 services with their up/down tag; type=account names the
// simulator itself, which also serves the account routes).
import type { PeerId } from '../../oio/types.js';
import { type Reply, SimHttpError, badRequest, cJson, jsonReply } from '../wire.js';
import type { SimContext, SimRequest } from './context.js';
import { locate, shuffled } from './locate.js';
import { markedDown } from '../faults.js';

interface ServiceEntry {
  readonly seq: number;
  readonly type: string;
  readonly host: string;
  readonly args: string;
}

export function referenceShow(ctx: SimContext, req: SimRequest): Reply {
  const type = req.query.get('type');
  const old = ctx.quirks.referenceShowWithoutCid;
  // 4.2.x reads only acct and ref (oio-api-sources 4.1; the exact refusal text is inferred).
  if (old && req.query.get('acct') === null) throw badRequest(`Incomplete URL [${ctx.ns.name}/]`);
  const located = locate(ctx.ns, req.query);
  if (located.kind === 'unknown') {
    throw new SimHttpError(404, 406, type ? 'no such user' : 'META1 error: no such user');
  }
  const c = located.container;
  const dir: ServiceEntry[] = [
    { seq: 1, type: 'meta0', host: '127.0.0.1:6120', args: '' },
    { seq: 1, type: 'meta1', host: '127.0.0.1:6121', args: '' },
  ];
  const srv: ServiceEntry[] = type && type !== 'meta2' ? [] : shuffled(c.peers).map((host) => ({ seq: 1, type: 'meta2', host, args: '' }));
  // real-behaviour 8: by cid with type, the resolver cache has no names.
  const byCidWithType = located.kind !== 'found' || located.byCid ? Boolean(type) : false;
  // 4.2.x: `cid`, `account` and `name` came with 4.3.0.
  if (old) return jsonReply(200, { dir, srv });
  return jsonReply(200, {
    dir,
    srv,
    cid: c.cid,
    account: byCidWithType ? null : c.account,
    name: byCidWithType ? null : c.name,
  });
}

const KNOWN_EMPTY_TYPES = new Set(['meta0', 'meta1', 'rdir', 'rawx', 'sqlx', 'oioproxy']);

function serviceScore(peer: PeerId): number {
  let h = 0;
  for (const ch of peer) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return 80 + (h % 20);
}

export function conscienceList(ctx: SimContext, req: SimRequest): Reply {
  const type = req.query.get('type');
  if (type === null || type === '') throw badRequest('Missing type');
  if (type === 'meta2') {
    const list = ctx.ns.services.map((addr, k) => {
      const faults = ctx.ns.serviceFaults.get(addr);
      const down = faults !== undefined && markedDown(faults, ctx.markDownAfterMs);
      const score = down ? 0 : serviceScore(addr);
      return {
        addr,
        score,
        // master only (oio-api-sources §9).
        ...(ctx.quirks.conscienceScores ? { scores: { 'score.put': score, 'score.get': score } } : {}),
        tags: { 'tag.loc': `host${k + 1}.vol1`, 'tag.up': !down, 'tag.vol': `/var/lib/oio/sds/${ctx.ns.name}/meta2-${k + 1}` },
      };
    });
    return { status: 200, body: cJson(list) };
  }
  if (type === 'account' && !ctx.accountService) throw new SimHttpError(404, 453, 'Service type [account] not managed');
  if (type === 'account') {
    const addr = ctx.address();
    return { status: 200, body: cJson([{ addr, score: 100, tags: { 'tag.up': true, 'tag.vol': `/var/lib/oio/sds/${ctx.ns.name}/account-1` } }]) };
  }
  if (KNOWN_EMPTY_TYPES.has(type)) return jsonReply(200, []);
  throw new SimHttpError(404, 453, `Service type [${type}] not managed`);
}

/**
 * `lb/choose?type=account&size=N`: how the 4.2–7.x SDK finds the account service
 * (oio-api-sources §1): `[{"addr","id"}]`. Other types answer as conscience/list would.
 */
export function lbChoose(ctx: SimContext, req: SimRequest): Reply {
  const type = req.query.get('type');
  if (type === null || type === '') throw badRequest('Missing type');
  if (type !== 'account') return conscienceList(ctx, req);
  if (!ctx.accountService) throw new SimHttpError(404, 453, 'Service type [account] not managed');
  const addr = ctx.address();
  return jsonReply(200, [{ addr, id: addr }]);
}
