// Explicit parsers for every JSON shape the proxy and the account service send, applied once at
// the edge: raw `unknown` in, typed values of types.ts out, or an OioBadAnswerError that names the
// route, the peer and what was wrong. Hand-written rather than zod so each message says exactly
// which peer's entry was bad, and so the peer order of the envelope (JSON key order) is kept.
import { OioBadAnswerError } from './errors.js';
import type { AdminTable, ElectionDebug, PeerAnswer, PeerId, ServiceInfo } from './types.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(route: string, what: string, peer?: string): never {
  throw new OioBadAnswerError(`${route}: ${peer === undefined ? '' : `peer ${peer} `}${what}`, {
    route,
    ...(peer === undefined ? {} : { peer }),
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Parses one peer's `body` into B; called with the raw body and the peer for messages. */
export type BodyParser<B> = (raw: unknown, route: string, peer: PeerId) => B;

/**
 * The per-peer envelope `{"PEER":{"status":{"status":C,"message":M},"body":B},…}`, in the order the
 * proxy wrote the keys (the order of `service_id` when one was sent).
 */
export function parsePeerAnswers<B>(route: string, json: unknown, parseBody: BodyParser<B>): PeerAnswer<B>[] {
  if (!isObject(json)) fail(route, `expected an object keyed by peer, got ${describe(json)}`);
  return Object.entries(json).map(([peer, entry]) => {
    if (!isObject(entry)) fail(route, `entry is ${describe(entry)}, not an object`, peer);
    const status = entry['status'];
    if (!isObject(status) || typeof status['status'] !== 'number' || !Number.isInteger(status['status'])) {
      fail(route, 'entry has no numeric status', peer);
    }
    const message = status['message'];
    if (message !== undefined && message !== null && typeof message !== 'string') {
      fail(route, `entry has a non-string message (${describe(message)})`, peer);
    }
    return {
      peer,
      status: status['status'] as number,
      message: typeof message === 'string' ? message : '',
      body: parseBody(entry['body'], route, peer),
    };
  });
}

/**
 * Body of `has`/`status`/`sync`/`leave`: a string. `""` and `null` (error entries, no body) give `""`;
 * any other JSON value is kept as its JSON text so an unexpected backend body never fails a probe.
 */
export const stringBody: BodyParser<string> = (raw) => {
  if (raw === undefined || raw === null) return '';
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
};

/**
 * Body of `debug`: the election description, or null when the peer has no election member
 * (`null`, `""` on error entries). A master describes itself with `master.url: null` and
 * `master.id` = its own `local.id`; masterUrl is then its own URL, so "who is master" reads the
 * same on every peer.
 */
export const debugBody: BodyParser<ElectionDebug | null> = (raw, route, peer) => {
  if (raw === undefined || raw === null || raw === '') return null;
  let body: unknown = raw;
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      fail(route, 'debug body is a string that is not JSON', peer);
    }
  }
  if (!isObject(body)) fail(route, `debug body is ${describe(body)}, not an object`, peer);
  const local = optionalObject(body['local'], route, peer, 'local');
  const master = optionalObject(body['master'], route, peer, 'master');
  const counters = optionalObject(body['#'], route, peer, '#');
  const state = optionalString(local?.['state'], route, peer, 'local.state');
  const localUrl = optionalString(local?.['url'], route, peer, 'local.url');
  let masterUrl = optionalString(master?.['url'], route, peer, 'master.url');
  const masterId = master?.['id'];
  if (masterUrl === null && masterId !== undefined && masterId !== null && masterId === local?.['id']) {
    masterUrl = localUrl ?? peer;
  }
  const pipefrom = counters?.['pipefrom'];
  if (pipefrom !== undefined && pipefrom !== null && typeof pipefrom !== 'number') {
    fail(route, `debug "#.pipefrom" is ${describe(pipefrom)}, not a number`, peer);
  }
  const log = body['log'];
  if (log !== undefined && log !== null && !(Array.isArray(log) && log.every((l) => typeof l === 'string'))) {
    fail(route, 'debug "log" is not an array of strings', peer);
  }
  return {
    state,
    masterUrl,
    pipefrom: typeof pipefrom === 'number' ? pipefrom : null,
    log: Array.isArray(log) ? (log as string[]) : [],
  };
};

function optionalObject(value: unknown, route: string, peer: string, name: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(route, `debug "${name}" is ${describe(value)}, not an object`, peer);
  return value;
}

function optionalString(value: unknown, route: string, peer: string, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail(route, `debug "${name}" is ${describe(value)}, not a string`, peer);
  return value;
}

/** `{"properties":{…},"system":{…}}` with string values; a missing map reads as empty. */
export function parseAdminTable(route: string, json: unknown, peer?: PeerId): AdminTable {
  if (!isObject(json)) fail(route, `expected an admin table object, got ${describe(json)}`, peer);
  return {
    properties: stringMap(route, json['properties'], 'properties', peer),
    system: stringMap(route, json['system'], 'system', peer),
  };
}

function stringMap(route: string, value: unknown, name: string, peer: PeerId | undefined): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) fail(route, `"${name}" is ${describe(value)}, not an object`, peer);
  // Checked in place and passed on as is: JSON.parse made it, nobody else holds it (a copy per
  // answer was a visible share of the sweep's CPU).
  for (const key in value) {
    const v = value[key];
    if (typeof v !== 'string') fail(route, `"${name}.${key}" is ${describe(v)}, not a string`, peer);
  }
  return value as Record<string, string>;
}

/** `reference/show`: the meta2 peers and the `cid` field (absent before 4.3.0, the 4.2.x sign). */
export function parseReference(route: string, json: unknown): { peers: PeerId[]; cid: string | undefined } {
  const peers = parseReferencePeers(route, json);
  const cid = (json as JsonObject)['cid'];
  return { peers, cid: typeof cid === 'string' && cid !== '' ? cid : undefined };
}

/** meta2 peers of `reference/show`: `srv` entries of type meta2, comma lists split, trimmed, deduplicated. */
export function parseReferencePeers(route: string, json: unknown): PeerId[] {
  if (!isObject(json)) fail(route, `expected an object, got ${describe(json)}`);
  const srv = json['srv'];
  if (srv === undefined || srv === null) return [];
  if (!Array.isArray(srv)) fail(route, `"srv" is ${describe(srv)}, not an array`);
  const peers: PeerId[] = [];
  srv.forEach((entry: unknown, i) => {
    if (!isObject(entry)) fail(route, `srv[${i}] is ${describe(entry)}, not an object`);
    if (typeof entry['type'] !== 'string') fail(route, `srv[${i}] has no string "type"`);
    if (entry['type'] !== 'meta2') return;
    if (typeof entry['host'] !== 'string') fail(route, `srv[${i}] has no string "host"`);
    for (const host of entry['host'].split(',')) {
      const peer = host.trim();
      if (peer !== '' && !peers.includes(peer)) peers.push(peer);
    }
  });
  return peers;
}

/** `conscience/list`: `[{"addr","score","tags":{"tag.up":bool,…}}]`; non-scalar tag values are dropped. */
export function parseServices(route: string, json: unknown): ServiceInfo[] {
  if (!Array.isArray(json)) fail(route, `expected an array of services, got ${describe(json)}`);
  return json.map((entry: unknown, i): ServiceInfo => {
    if (!isObject(entry)) fail(route, `service [${i}] is ${describe(entry)}, not an object`);
    const { addr, score } = entry;
    if (typeof addr !== 'string') fail(route, `service [${i}] has no string "addr"`);
    if (typeof score !== 'number') fail(route, `service ${addr} has no numeric "score"`);
    const rawTags = entry['tags'] ?? {};
    if (!isObject(rawTags)) fail(route, `service ${addr} "tags" is ${describe(rawTags)}, not an object`);
    const tags: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(rawTags)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') tags[key] = value;
    }
    const rawScores = entry['scores'];
    const scores: Record<string, number> = {};
    if (isObject(rawScores)) for (const [key, value] of Object.entries(rawScores)) if (typeof value === 'number') scores[key] = value;
    return { addr, score, up: tags['tag.up'] === true, tags, ...(isObject(rawScores) ? { scores } : {}) };
  });
}

/** One page of an account-service listing, reduced to what paging needs. */
export interface ListingPage {
  /** Names to hand out (prefix entries of container listings left out). */
  readonly names: string[];
  /** Entries in the raw page, prefix entries included: the short-page test uses it. */
  readonly rawCount: number;
  /** Name of the last raw entry: the next marker when the service gives none. */
  readonly lastName: string | undefined;
  /**
   * The old (7.x and older) `account/list`: one plain array of every account, in no order, that
   * ignored limit, marker and prefix (fact 39): the client filters and sorts it itself.
   */
  readonly whole?: boolean;
  /** Present on master's account service only. */
  readonly truncated?: boolean;
  readonly nextMarker?: string;
}

/** `account/list`: master `{"listing":[{"id":…}],"truncated","next_marker"}` or old `["a","b"]`. */
export function parseAccountPage(route: string, json: unknown): ListingPage {
  const { listing, paging } = listingOf(route, json);
  const names = listing.map((entry: unknown, i) => {
    if (typeof entry === 'string') return entry;
    if (isObject(entry) && typeof entry['id'] === 'string') return entry['id'];
    return fail(route, `listing[${i}] is neither a name nor an object with a string "id"`);
  });
  return { names, rawCount: names.length, lastName: names.at(-1), ...paging, ...(Array.isArray(json) ? { whole: true } : {}) };
}

/** `account/containers`: `{"listing":[[name, objects, bytes, is_prefix, mtime],…]}`; is_prefix entries skipped. */
export function parseContainerPage(route: string, json: unknown): ListingPage {
  const { listing, paging } = listingOf(route, json);
  const names: string[] = [];
  let lastName: string | undefined;
  listing.forEach((entry: unknown, i) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
      fail(route, `listing[${i}] is not a [name, objects, bytes, is_prefix, mtime] array`);
    }
    lastName = entry[0];
    const isPrefix = entry[3];
    if (isPrefix === 1 || isPrefix === true) return;
    names.push(entry[0]);
  });
  return { names, rawCount: listing.length, lastName, ...paging };
}

function listingOf(route: string, json: unknown): { listing: unknown[]; paging: { truncated?: boolean; nextMarker?: string } } {
  if (Array.isArray(json)) return { listing: json, paging: {} };
  if (!isObject(json)) fail(route, `expected a listing, got ${describe(json)}`);
  const listing = json['listing'];
  if (!Array.isArray(listing)) fail(route, `"listing" is ${describe(listing)}, not an array`);
  const truncated = json['truncated'];
  const nextMarker = json['next_marker'];
  return {
    listing,
    paging: {
      ...(typeof truncated === 'boolean' ? { truncated } : {}),
      ...(typeof nextMarker === 'string' && nextMarker !== '' ? { nextMarker } : {}),
    },
  };
}
