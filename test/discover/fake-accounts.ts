// A fake account service: sorted names served page by page (exclusive markers, prefixes,
// limits) from an in-memory tree, recording every page it materialises.
import { OioNotFoundError, OioUnavailableError } from '../../src/oio/errors.js';
import type { AccountApi, ListOptions } from '../../src/oio/types.js';

export interface PageCall {
  readonly kind: 'accounts' | 'containers';
  readonly account?: string;
  readonly marker?: string;
  readonly prefix?: string;
  readonly size: number;
}

export class FakeAccounts implements AccountApi {
  readonly pages: PageCall[] = [];
  /** Names handed to consumers so far. */
  yielded = 0;
  /** Called before each page; return an error to make that page fail. */
  failPage: (call: PageCall) => Error | undefined = () => undefined;
  private readonly tree: Map<string, string[]>;
  private readonly defaultLimit: number;

  constructor(tree: Record<string, readonly string[]>, defaultLimit = 1000) {
    this.tree = new Map(Object.entries(tree).map(([a, cs]) => [a, [...cs].sort()]));
    this.defaultLimit = defaultLimit;
  }

  async *listAccounts(opts: ListOptions = {}): AsyncIterable<string> {
    for await (const page of this.paged([...this.tree.keys()].sort(), { kind: 'accounts' }, opts)) yield* page;
  }

  listContainers(account: string, opts: ListOptions = {}): AsyncIterable<readonly string[]> {
    const names = this.tree.get(account);
    if (!names) {
      return (async function* () {
        throw new OioNotFoundError(`account ${account} not found`, { route: 'account/containers', httpStatus: 404 });
      })();
    }
    return this.paged(names, { kind: 'containers', account }, opts);
  }

  /** Non-empty pages, as the account client hands them out. */
  private async *paged(names: readonly string[], base: Pick<PageCall, 'kind' | 'account'>, opts: ListOptions): AsyncGenerator<readonly string[]> {
    const limit = opts.limit ?? this.defaultLimit;
    let marker = opts.marker;
    for (;;) {
      const page = names
        .filter((n) => (marker === undefined || n > marker) && (opts.prefix === undefined || n.startsWith(opts.prefix)))
        .slice(0, limit);
      const call: PageCall = { ...base, ...(marker !== undefined ? { marker } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}), size: page.length };
      await Promise.resolve();
      const failure = this.failPage(call);
      if (failure) throw failure;
      this.pages.push(call);
      this.yielded += page.length;
      if (page.length > 0) yield page;
      if (page.length < limit) return;
      marker = page[page.length - 1];
    }
  }
}

export function unavailable(): OioUnavailableError {
  return new OioUnavailableError('account service unavailable', { route: 'account/containers', httpStatus: 503 });
}

/** `prefix000`, `prefix001`, …: sortable generated names. */
export function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
}
