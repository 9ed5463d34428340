// Proxy versions the simulator can impersonate, as behaviour profiles: each version maps to the
// quirks that differ from master (the default and the reference). Only what a per-replica repair
// daemon relies on is modelled; add a quirk here, then map versions to it.
export const OIO_VERSIONS = ['master', '4.2'] as const;
export type OioVersion = (typeof OIO_VERSIONS)[number];

export interface ProxyQuirks {
  /**
   * 4.2.x (and 4.3.x) ignore `service_id` on every admin route except `leave` (fact 37,
   * oio-api-sources 5.3): get_properties answers from whichever peer replies first, even for a
   * service that is not a peer; has/status/debug answer for every peer; sync resyncs every slave.
   * `local=1` is not read either (fact 35): reads go through the election.
   */
  readonly ignoresServiceId: boolean;
  /** 4.2.x: reference/show answers only `dir` and `srv` (no cid, account, name) and refuses `cid=`. */
  readonly referenceShowWithoutCid: boolean;
  /** master only: `set_properties` with `x-oio-admin: 1` is written locally on one peer (facts 23, 33). */
  readonly adminHeaderWritesLocally: boolean;
}

const PROFILES: Readonly<Record<OioVersion, ProxyQuirks>> = {
  master: { ignoresServiceId: false, referenceShowWithoutCid: false, adminHeaderWritesLocally: true },
  '4.2': { ignoresServiceId: true, referenceShowWithoutCid: true, adminHeaderWritesLocally: false },
};

export function quirksOf(version: OioVersion): ProxyQuirks {
  return PROFILES[version];
}
