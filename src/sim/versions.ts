// oio-sds lines the simulator can impersonate, as behaviour profiles: each line maps to how its
// proxy, meta2 services and account service differ from master (the default and the reference).
// Only what a per-replica repair daemon meets is modelled (oio-real-behaviour 30, 32–39,
// oio-api-sources §10); add a quirk here, then map the lines to it. The daemon's own view of the
// lines is src/oio/versions.ts: kept apart on purpose, so a test fails when the two disagree.
export const OIO_VERSIONS = ['master', '7', '5', '4.4', '4.2'] as const;
export type OioVersion = (typeof OIO_VERSIONS)[number];

export interface ProxyQuirks {
  /**
   * 4.2.x (and 4.3.x) ignore `service_id` on every admin route except `leave` (fact 37,
   * oio-api-sources 5.3): get_properties answers from whichever peer replies first, even for a
   * service that is not a peer; has/status/debug answer for every peer; sync resyncs every slave.
   */
  readonly ignoresServiceId: boolean;
  /** 4.2.x: reference/show answers only `dir` and `srv` (no cid, account, name) and refuses `cid=`. */
  readonly referenceShowWithoutCid: boolean;
  /** master only: `set_properties` with `x-oio-admin: 1` is written locally on one peer (facts 23, 33). */
  readonly adminHeaderWritesLocally: boolean;
  /**
   * master from 2025.28.0 only: `local=1` is read (fact 35). Elsewhere every per-replica read goes
   * through the base's election, with its side effects (fact 30): peers join, and a base no peer
   * has is created empty on every peer.
   */
  readonly readsLocalFlag: boolean;
  /** master: an unreachable peer's per-replica read is 503 "No service replied"; 7.x and older: 200 empty maps (fact 34). */
  readonly unreachableReadIs503: boolean;
  /** master: `set_properties` answers 204 with no body; 7.x and older `200 {}` (fact 36). */
  readonly setPropertiesNoContent: boolean;
  /** master 2025.41.0+: `has` answers `PATH:MTIME`; before, `PATH` (fact 36). */
  readonly hasMtime: boolean;
  /** 5.8.0+: `stats.*` keys in admin/get_properties (fact 38). */
  readonly statsKeys: boolean;
  /** master: `stats.journal_mode` among them (fact 38). */
  readonly statsJournalMode: boolean;
  /** master 2025.28.0+: `bypass_service_down=true` is read (oio-api-sources 5.3). */
  readonly readsBypassServiceDown: boolean;
  /** master: conscience/list entries carry a `scores` object (oio-api-sources §9). */
  readonly conscienceScores: boolean;
  /**
   * 7.x and older account service (fact 39): `account/list` is a plain JSON array of every account
   * (limit and marker ignored; 404 "No account found" when there is none), `account/containers`
   * has no `truncated`/`next_marker`, and both answer `Content-Type: text/json`.
   */
  readonly oldAccountService: boolean;
}

/** Admin keys a fresh container's base holds on a line, besides the 12 every line has (fact 38). */
export interface CreationKeys {
  /** `sys.*` keys written at creation on this line only, with their initial value. */
  readonly extra: Readonly<Record<string, string>>;
  /** Tables whose `version:main.<table>` counter exists (master adds shard_ranges). */
  readonly tables: readonly string[];
}

const MASTER: ProxyQuirks = {
  ignoresServiceId: false,
  referenceShowWithoutCid: false,
  adminHeaderWritesLocally: true,
  readsLocalFlag: true,
  unreachableReadIs503: true,
  setPropertiesNoContent: true,
  hasMtime: true,
  statsKeys: true,
  statsJournalMode: true,
  readsBypassServiceDown: true,
  conscienceScores: true,
  oldAccountService: false,
};

/** 7.x, 5.x and 4.4+: what every pre-master line shares. */
const OLD: ProxyQuirks = {
  ...MASTER,
  adminHeaderWritesLocally: false,
  readsLocalFlag: false,
  unreachableReadIs503: false,
  setPropertiesNoContent: false,
  hasMtime: false,
  statsJournalMode: false,
  readsBypassServiceDown: false,
  conscienceScores: false,
  oldAccountService: true,
};

const PROFILES: Readonly<Record<OioVersion, ProxyQuirks>> = {
  master: MASTER,
  '7': OLD,
  '5': OLD,
  '4.4': { ...OLD, statsKeys: false },
  '4.2': { ...OLD, statsKeys: false, ignoresServiceId: true, referenceShowWithoutCid: true },
};

const BASE_TABLES = ['admin', 'aliases', 'chunks', 'contents', 'properties'] as const;
const FIVE_TO_SEVEN = { 'sys.m2.chunks.missing': '0', 'sys.m2.objects.damaged': '0' };

const CREATION: Readonly<Record<OioVersion, CreationKeys>> = {
  master: { extra: { 'sys.m2.shards': '0' }, tables: [...BASE_TABLES, 'shard_ranges'] },
  '7': { extra: FIVE_TO_SEVEN, tables: BASE_TABLES },
  '5': { extra: FIVE_TO_SEVEN, tables: BASE_TABLES },
  '4.4': { extra: {}, tables: BASE_TABLES },
  '4.2': { extra: {}, tables: BASE_TABLES },
};

export function quirksOf(version: OioVersion): ProxyQuirks {
  return PROFILES[version];
}

/** What a fresh base holds on this line's meta2 services, besides the common keys. */
export function creationKeysOf(version: OioVersion): CreationKeys {
  return CREATION[version];
}
