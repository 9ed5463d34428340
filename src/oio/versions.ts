// The oio-sds lines the daemon knows, and what each changes for it (oio-real-behaviour 30, 32–39,
// oio-api-sources §10): the one place where a version fact lives on the daemon's side. The
// simulator keeps its own table (src/sim/versions.ts), so that a wrong fact here fails a test there.
// Lines, not releases: '4.2' stands for 4.2.x and 4.3.x (no per-replica service_id), '5' and '7'
// behave alike for a repair daemon, 'master' is 9.0.0 and the 2025.x/2026.x calendar tags.

export const OIO_LINES = ['4.2', '4.4', '5', '7', 'master'] as const;
export type OioLine = (typeof OIO_LINES)[number];

/** `proxy.oioVersion`: a line, or `auto` (detected from answers the daemon needs anyway). */
export const OIO_VERSION_SETTINGS = ['auto', ...OIO_LINES] as const;
export type OioVersionSetting = (typeof OIO_VERSION_SETTINGS)[number];

export interface LineTraits {
  /** For logs and errors: "oio-sds 7.x". */
  readonly label: string;
  /** The proxy honours `service_id` on every admin route (4.4.0+); 4.2/4.3 only on leave (fact 37). */
  readonly honoursServiceId: boolean;
  /**
   * The proxy reads `local=1` (master from 2025.28.0): a per-replica read touches no election.
   * Before, every per-replica read through the proxy runs the base's election (facts 30, 35).
   */
  readonly readsLocal: boolean;
  /** An unreachable peer's per-replica read is 503 (master); before, the same 200 empty maps as a missing base (fact 34). */
  readonly unreachableReadIs503: boolean;
  /**
   * Admin keys a healthy base of this line may lack (fact 38): never required on it, whatever
   * probe.requiredKeys says. `stats.*` stands for every key with that prefix.
   */
  readonly mayLack: readonly string[];
}

const MASTER_ONLY = ['sys.m2.shards', 'version:main.shard_ranges', 'stats.journal_mode'];
const FIVE_TO_SEVEN_ONLY = ['sys.m2.chunks.missing', 'sys.m2.objects.damaged'];

export const LINE_TRAITS: Readonly<Record<OioLine, LineTraits>> = {
  '4.2': { label: 'oio-sds 4.2.x/4.3.x', honoursServiceId: false, readsLocal: false, unreachableReadIs503: false, mayLack: [...MASTER_ONLY, ...FIVE_TO_SEVEN_ONLY, 'stats.*'] },
  '4.4': { label: 'oio-sds 4.4–4.10', honoursServiceId: true, readsLocal: false, unreachableReadIs503: false, mayLack: [...MASTER_ONLY, ...FIVE_TO_SEVEN_ONLY, 'stats.*'] },
  // stats.* came with 5.8.0.
  '5': { label: 'oio-sds 5.x', honoursServiceId: true, readsLocal: false, unreachableReadIs503: false, mayLack: [...MASTER_ONLY, 'stats.*'] },
  '7': { label: 'oio-sds 7.x', honoursServiceId: true, readsLocal: false, unreachableReadIs503: false, mayLack: MASTER_ONLY },
  // Fresh bases of the line: a base created before an upgrade lacks the newer line's creation
  // keys, so README says not to require line-only keys on an upgraded namespace.
  master: { label: 'oio-sds master (9.0.0, 2025.x/2026.x)', honoursServiceId: true, readsLocal: true, unreachableReadIs503: true, mayLack: FIVE_TO_SEVEN_ONLY },
};

/**
 * What the daemon assumes while the line is not known yet: the most cautious of every line
 * (any key some line lacks is not required; an empty table may hide an unreachable peer).
 */
export const UNKNOWN_LINE: LineTraits = {
  label: 'an oio-sds line not detected yet',
  honoursServiceId: true,
  readsLocal: false,
  unreachableReadIs503: false,
  mayLack: [...new Set(Object.values(LINE_TRAITS).flatMap((t) => t.mayLack))],
};

export function traitsOf(line: OioLine | undefined): LineTraits {
  return line === undefined ? UNKNOWN_LINE : LINE_TRAITS[line];
}

function lacks(mayLack: readonly string[], key: string): boolean {
  return mayLack.some((k) => (k.endsWith('*') ? key.startsWith(k.slice(0, -1)) : key === k));
}

/**
 * The required keys to apply on a line: the configured ones minus those a healthy base of the
 * line may lack, so a healthy 7.x base is never called damaged for lacking a master-only key, nor
 * the reverse. `dropped` says which were left out, for the log.
 */
export function requiredKeysFor(line: OioLine | undefined, keys: readonly string[]): { keys: readonly string[]; dropped: readonly string[] } {
  const mayLack = traitsOf(line).mayLack;
  const dropped = keys.filter((k) => lacks(mayLack, k));
  return { keys: dropped.length === 0 ? keys : keys.filter((k) => !lacks(mayLack, k)), dropped };
}
