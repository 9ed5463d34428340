// The account service the sweep enumerates: the configured URL, or found through the conscience
// (`conscience/list?type=account`, first service up) when none is configured. Discovery runs
// lazily at each listing and is retried on the next one after a failure, so a conscience that is
// down at start-up delays the first sweep instead of stopping the daemon.
import { createAccountClient, type AccountClient } from '../oio/account-client.js';
import type { HttpClientOptions } from '../oio/http.js';
import { OioError } from '../oio/errors.js';
import type { AccountApi, ListOptions, ProxyApi } from '../oio/types.js';

export class AccountServiceNotFoundError extends OioError {
  override readonly code = 'OIO_NO_ACCOUNT_SERVICE';
}

export class DiscoveredAccountService implements AccountApi {
  private client: AccountClient | null = null;

  constructor(
    private readonly proxy: ProxyApi,
    private readonly http: Omit<HttpClientOptions, 'url'>,
    private readonly configuredUrl: string | null,
  ) {}

  /** The account service URL in use (null until discovered). */
  url(): string | null {
    return this.client ? this.currentUrl : this.configuredUrl;
  }

  private currentUrl = '';

  private async resolve(): Promise<AccountClient> {
    if (this.client) return this.client;
    let url = this.configuredUrl;
    if (url === null) {
      const services = await this.proxy.listServices('account');
      const up = services.find((s) => s.up && s.score > 0) ?? services.find((s) => s.up);
      if (!up) {
        throw new AccountServiceNotFoundError(`no account service up in the conscience (${services.length} registered)`, { route: 'conscience/list' });
      }
      url = /^https?:\/\//.test(up.addr) ? up.addr : `http://${up.addr}`;
    }
    this.currentUrl = url;
    this.client = createAccountClient({ ...this.http, url });
    return this.client;
  }

  async *listAccounts(opts?: ListOptions): AsyncIterable<string> {
    yield* (await this.resolve()).listAccounts(opts);
  }

  async *listContainers(account: string, opts?: ListOptions): AsyncIterable<string> {
    yield* (await this.resolve()).listContainers(account, opts);
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = null;
  }
}
