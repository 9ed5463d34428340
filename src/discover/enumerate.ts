// Streams every container of the selected accounts, in the account service's listing order
// (accounts by name, then containers by name), one listing page (an array) at a time: memory
// never grows with the number of containers, and no promise is spent per container. Resumable from a saved (account, container) position through the
// listing markers. Knows nothing about probing: the sweep consumes this stream.
import { cidFromName } from '../oio/cid.js';
import { OioNotFoundError } from '../oio/errors.js';
import type { AccountApi, ContainerRef } from '../oio/types.js';

/** Accounts left out of a sweep: exact names, and names starting with a prefix. */
interface Exclusions {
  readonly exclude?: readonly string[];
  readonly excludePrefixes?: readonly string[];
}

/** Which accounts a sweep covers. */
export type AccountFilter =
  | ({ readonly include: 'all' } & Exclusions)
  | ({ readonly names: readonly string[] } & Exclusions)
  | ({ readonly prefixes: readonly string[] } & Exclusions);

/** A place in the enumeration order: the container (of that account) last dealt with. */
export interface SweepPosition {
  readonly account: string;
  readonly container: string;
}

/** A container as enumeration yields it: always named, CID computed. */
export interface EnumeratedContainer extends ContainerRef {
  readonly account: string;
  readonly container: string;
}

export interface EnumerateOptions {
  /** Continue strictly AFTER this position (the listing markers are exclusive). */
  readonly resumeFrom?: SweepPosition | undefined;
  readonly signal?: AbortSignal;
  /** `limit` asked of the account service per page. */
  readonly pageSize?: number;
}

/**
 * An enumeration failure that no retry can fix (a configuration problem, e.g. no account service
 * in the conscience): the error says so with `permanent: true`, and the sweep fails at once.
 */
export function isPermanentFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}

/**
 * Orders names as the account service does (byte order of UTF-8), which differs from
 * JavaScript's UTF-16 order for characters outside the BMP. Used only to place configured
 * names/prefixes relative to a resume position; accounts themselves come in listing order.
 */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export async function* enumerateContainers(
  accounts: AccountApi,
  filter: AccountFilter,
  opts: EnumerateOptions = {},
): AsyncGenerator<readonly EnumeratedContainer[], void, undefined> {
  const excluded = new Set(filter.exclude ?? []);
  const excludedPrefixes = filter.excludePrefixes ?? [];
  for await (const start of selectAccounts(accounts, filter, opts)) {
    if (excluded.has(start.account) || excludedPrefixes.some((p) => start.account.startsWith(p))) continue;
    yield* listAccountContainers(accounts, start, opts);
  }
}

/** An account to list, and the container marker to list it from (set only when resuming). */
interface AccountStart {
  readonly account: string;
  readonly marker?: string;
}

function selectAccounts(accounts: AccountApi, filter: AccountFilter, opts: EnumerateOptions): AsyncIterable<AccountStart> {
  if ('names' in filter) return fromNames(filter.names, opts.resumeFrom);
  if ('prefixes' in filter) return fromPrefixes(accounts, filter.prefixes, opts);
  return fromListing(accounts, undefined, opts);
}

async function* fromNames(names: readonly string[], resumeFrom: SweepPosition | undefined): AsyncGenerator<AccountStart> {
  const sorted = [...new Set(names)].sort(compareNames);
  for (const account of sorted) {
    if (!resumeFrom) {
      yield { account };
      continue;
    }
    const order = compareNames(account, resumeFrom.account);
    if (order === 0) yield { account, marker: resumeFrom.container };
    else if (order > 0) yield { account };
  }
}

/** Prefixes covered by a shorter one are dropped, so no account is listed twice. */
export function normalizePrefixes(prefixes: readonly string[]): string[] {
  const sorted = [...new Set(prefixes)].sort(compareNames);
  const kept: string[] = [];
  for (const prefix of sorted) {
    const last = kept[kept.length - 1];
    if (last !== undefined && prefix.startsWith(last)) continue;
    kept.push(prefix);
  }
  return kept;
}

async function* fromPrefixes(accounts: AccountApi, prefixes: readonly string[], opts: EnumerateOptions): AsyncGenerator<AccountStart> {
  const resumeFrom = opts.resumeFrom;
  for (const prefix of normalizePrefixes(prefixes)) {
    if (resumeFrom && !resumeFrom.account.startsWith(prefix)) {
      // Every name starting with `prefix` sorts on the same side of the resume account as the
      // prefix itself does, since the resume account does not start with it.
      if (compareNames(prefix, resumeFrom.account) < 0) continue;
      yield* fromListing(accounts, prefix, { ...opts, resumeFrom: undefined });
      continue;
    }
    yield* fromListing(accounts, prefix, opts);
  }
}

async function* fromListing(accounts: AccountApi, prefix: string | undefined, opts: EnumerateOptions): AsyncGenerator<AccountStart> {
  const resumeFrom = opts.resumeFrom;
  if (resumeFrom) {
    // The resume account first (listed from the container marker), then the accounts after it:
    // the listing's own order decides what "after" means, no client-side comparison needed.
    yield { account: resumeFrom.account, marker: resumeFrom.container };
  }
  const listing = accounts.listAccounts({
    ...(prefix !== undefined ? { prefix } : {}),
    ...(resumeFrom ? { marker: resumeFrom.account } : {}),
    ...(opts.pageSize !== undefined ? { limit: opts.pageSize } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  for await (const account of listing) {
    opts.signal?.throwIfAborted();
    yield { account };
  }
}

async function* listAccountContainers(
  accounts: AccountApi,
  start: AccountStart,
  opts: EnumerateOptions,
): AsyncGenerator<readonly EnumeratedContainer[]> {
  const listing = accounts.listContainers(start.account, {
    ...(start.marker !== undefined ? { marker: start.marker } : {}),
    ...(opts.pageSize !== undefined ? { limit: opts.pageSize } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  try {
    for await (const names of listing) {
      opts.signal?.throwIfAborted();
      const account = start.account;
      yield names.map((container) => ({ cid: cidFromName(account, container), account, container }));
    }
  } catch (err) {
    // An account deleted between the account listing (or the saved position) and now has no
    // containers left to probe; anything else is an enumeration failure for the sweep to handle.
    if (err instanceof OioNotFoundError) return;
    throw err;
  }
}
