// How large each route's answer can really be, and so how much heap the answers in flight can
// take. The caps are what real answers need with a wide margin (a meta2 admin table is a few KB,
// a per-peer admin answer a few hundred bytes per peer, a listing page of 1000 names < 1.1 MB):
// an answer above its cap is an OIO_ANSWER_TOO_LARGE error for that request, never a download.
import type { Config } from '../config/schema.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Per-route caps, in bytes, of the answer body. Routes not listed get DEFAULT_ANSWER_CAP. */
export const ANSWER_CAPS: Readonly<Record<string, number>> = {
  'admin/get_properties': 256 * KiB,
  'reference/show': 64 * KiB,
  'conscience/list': 2 * MiB,
  'account/list': 4 * MiB,
  'account/containers': 4 * MiB,
};

/** Per-peer admin answers (has, status, debug, sync, leave, set_properties …) and anything else. */
export const DEFAULT_ANSWER_CAP = 64 * KiB;

export function answerCap(route: string): number {
  return ANSWER_CAPS[route] ?? DEFAULT_ANSWER_CAP;
}

/** The largest cap of all: our own Pool's maxResponseSize, a backstop behind the per-route check. */
export const MAX_ANSWER_CAP = Math.max(DEFAULT_ANSWER_CAP, ...Object.values(ANSWER_CAPS));

/**
 * Heap one answer may take per byte of body while it is read and parsed: the text as a JS string
 * plus the parsed JSON objects. Measured on Node 20 (text and object both alive, after a GC): 2.4
 * for an ASCII admin table of 1 MB, 1.0 for a listing page; text outside Latin-1 takes 2 bytes
 * per character, one more. 4 leaves a margin.
 */
export const HEAP_PER_ANSWER_BYTE = 4;

/** Share of the V8 heap limit the answers in flight may take at most; the rest is the sweep's. */
export const ANSWER_HEAP_SHARE = 0.5;

/**
 * Worst-case heap taken by answers in flight at once: every proxy connection reading the largest
 * answer a sweep route can have, plus one conscience list (heartbeat, discovery) and one account
 * listing page (the enumeration reads one page at a time).
 */
export function answerHeapBudgetBytes(config: Pick<Config, 'proxy'>): number {
  const sweepRoutes = Math.max(DEFAULT_ANSWER_CAP, answerCap('admin/get_properties'), answerCap('reference/show'));
  const inFlight = config.proxy.connections * sweepRoutes + answerCap('conscience/list') + answerCap('account/containers');
  return inFlight * HEAP_PER_ANSWER_BYTE;
}

/** Why the configuration does not fit the heap this process was given, or null when it does. */
export function heapFitProblem(config: Pick<Config, 'proxy'>, heapLimitBytes: number): string | null {
  const budget = answerHeapBudgetBytes(config);
  const allowed = heapLimitBytes * ANSWER_HEAP_SHARE;
  if (budget <= allowed) return null;
  const mib = (n: number): string => `${Math.round(n / MiB)} MiB`;
  return (
    `proxy.connections ${config.proxy.connections} lets answers in flight take up to ${mib(budget)} of heap, ` +
    `more than half of this process's ${mib(heapLimitBytes)} heap limit: lower proxy.connections ` +
    `or raise node's --max-old-space-size (in the systemd unit's ExecStart)`
  );
}
