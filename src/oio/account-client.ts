// AccountApi over HTTP: streams account and container names from the account service, one page
// at a time (never the whole namespace in memory), across its versions' two listing shapes.
// Enumeration only: the account service is fed by events, so it lists names, not replicas.
import { OioNotFoundError } from './errors.js';
import { OioHttp, type HttpClientOptions, type QueryValue } from './http.js';
import { parseAccountPage, parseContainerPage, type ListingPage } from './parse.js';
import type { AccountApi, ListOptions } from './types.js';

/** Page size when ListOptions.limit is not given (the account service's own default). */
export const DEFAULT_PAGE_LIMIT = 1000;

export interface AccountClientOptions {
  readonly http: OioHttp;
}

export class AccountClient implements AccountApi {
  private readonly http: OioHttp;

  constructor(opts: AccountClientOptions) {
    this.http = opts.http;
  }

  /** Old services answer 404 "No account found" for an empty namespace: that is an empty listing. */
  async *listAccounts(opts: ListOptions = {}): AsyncIterable<string> {
    const route = 'account/list';
    try {
      for await (const names of this.pages(opts, (query) => this.page(route, '/v1.0/account/list', query, opts, parseAccountPage))) yield* names;
    } catch (err) {
      if (err instanceof OioNotFoundError && err.route === route) return;
      throw err;
    }
  }

  /** 404 (unknown account) is thrown as OioNotFoundError. */
  listContainers(account: string, opts: ListOptions = {}): AsyncIterable<readonly string[]> {
    const route = 'account/containers';
    return this.pages(opts, (query) =>
      this.page(route, '/v1.0/account/containers', { id: account, ...query }, opts, parseContainerPage),
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * Pages (non-empty name arrays) with `marker` = `next_marker` while `truncated`, else the last name returned, and stops
   * on an empty or short page, on `truncated: false`, and when the service shows it ignores
   * paging (more entries than the limit, or the exclusive marker coming back: old `account/list`
   * returns everything at once).
   */
  private async *pages(
    opts: ListOptions,
    fetchPage: (query: Record<string, QueryValue>) => Promise<ListingPage>,
  ): AsyncGenerator<readonly string[]> {
    const limit = opts.limit ?? DEFAULT_PAGE_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`listing limit must be a positive integer: ${limit}`);
    let marker = opts.marker;
    for (;;) {
      opts.signal?.throwIfAborted();
      const page = await fetchPage({ limit, marker, prefix: opts.prefix });
      if (page.whole && ignoredPaging(page.names, limit, marker, opts.prefix)) {
        const whole = wholeListing(page.names, marker, opts.prefix);
        if (whole.length > 0) yield whole;
        return;
      }
      // The marker is exclusive: seeing it again means the service ignores it (and would repeat pages).
      if (marker !== undefined && marker !== opts.marker && page.names.includes(marker)) return;
      if (page.names.length > 0) yield page.names;
      if (page.rawCount === 0 || page.truncated === false || page.rawCount > limit) return;
      if (page.truncated === undefined && page.rawCount < limit) return;
      const next = page.truncated === true && page.nextMarker !== undefined ? page.nextMarker : page.lastName;
      // A marker that does not move would loop forever on a service that ignores it.
      if (next === undefined || next === marker) return;
      marker = next;
    }
  }

  private async page(
    route: string,
    path: string,
    query: Record<string, QueryValue>,
    opts: ListOptions,
    parse: (route: string, json: unknown) => ListingPage,
  ): Promise<ListingPage> {
    const answer = await this.http.request({
      method: 'GET',
      path,
      query,
      route,
      idempotent: true,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    return parse(route, answer.json);
  }
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A bare-array page that cannot be one page of a paged listing (more or fewer names than asked, or names outside the window). */
function ignoredPaging(names: readonly string[], limit: number, marker: string | undefined, prefix: string | undefined): boolean {
  if (names.length !== limit) return true;
  const after = marker === undefined ? undefined : bytes(marker);
  return names.some((n) => (prefix !== undefined && !n.startsWith(prefix)) || (after !== undefined && Buffer.compare(bytes(n), after) <= 0));
}

/**
 * What a paged listing would have given of a whole one (7.x and older `account/list`, which
 * ignores prefix and marker and answers in hash order, fact 39): the names with the prefix, after
 * the exclusive marker, in byte order, so that prefixes and resumed sweeps mean the same on every line.
 */
function wholeListing(names: readonly string[], marker: string | undefined, prefix: string | undefined): string[] {
  const after = marker === undefined ? undefined : bytes(marker);
  return names
    .filter((n) => (prefix === undefined || n.startsWith(prefix)) && (after === undefined || Buffer.compare(bytes(n), after) > 0))
    .sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
}

export function createAccountClient(opts: HttpClientOptions): AccountClient {
  return new AccountClient({ http: new OioHttp(opts) });
}
