// Container ID computation, as oio-sds does it (oio/common/utils.py cid_from_name):
// upper(hex(sha256(utf8(account) + "\0" + utf8(container)))). The proxy copies a CID verbatim
// into the base name, so a lowercase CID addresses another (missing) base: always uppercase.
import { hash } from 'node:crypto';

const CID_RE = /^[0-9A-Fa-f]{64}$/;

/**
 * One-shot hash of the UTF-8 of `account + "\0" + container`: the same bytes as hashing the three
 * parts in turn (the NUL keeps surrogates of either side apart), at a fifth of the CPU; the sweep
 * computes one per container.
 */
export function cidFromName(account: string, container: string): string {
  return hash('sha256', `${account}\0${container}`, 'hex').toUpperCase();
}

/** True for 64 hex characters, in any case. */
export function isCid(value: string): boolean {
  return CID_RE.test(value);
}

/** Uppercases a CID after checking its shape; throws a RangeError naming the bad value otherwise. */
export function normalizeCid(value: string): string {
  if (!isCid(value)) throw new RangeError(`not a CID (64 hex characters expected): ${JSON.stringify(value)}`);
  return value.toUpperCase();
}

/** The meta2 base name of a container: `CID.1` (the proxy always uses sequence 1 for meta2). */
export function baseName(cid: string): string {
  return `${cid}.1`;
}
