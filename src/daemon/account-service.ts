// The account service the sweep enumerates: the configured URL, or found through the conscience
// (`conscience/list?type=account`, first service up) when none is configured. Discovery runs
// lazily at each listing and is retried on the next one after a failure, so a conscience that is
// down at start-up delays the first sweep instead of stopping the daemon. A conscience that does
// not manage the type at all (453, fact 27) is a configuration problem: no retry can fix it.
import { createAccountClient, type AccountClient } from '../oio/account-client.js';
import type { HttpClientOptions } from '../oio/http.js';
import { OioError, OioServiceTypeUnknownError, type OioErrorContext } from '../oio/errors.js';
import type { AccountApi, ListOptions, ProxyApi } from '../oio/types.js';

/**
 * No account service to enumerate from. `permanent` when the conscience manages no service of
 * type `account` at all: every call answers the same until account.url is set, so the sweep
 * fails at once instead of retrying (see isPermanentFailure in src/discover/enumerate.ts).
 */
export class AccountServiceNotFoundError extends OioError {
  override readonly code = 'OIO_NO_ACCOUNT_SERVICE';
  readonly permanent: boolean;

  constructor(message: string, ctx: OioErrorContext & { readonly permanent?: boolean }) {
    super(message, ctx);
    this.permanent = ctx.permanent ?? false;
  }
}

export class DiscoveredAccountService implements AccountApi {
  private client: AccountClient | null = null;

  constructor(
    private readonly proxy: ProxyApi,
    private readonly http: Omit<HttpClientOptions, 'url'>,
    private readonly configuredUrl: string | null,
  ) {}

  private async resolve(): Promise<AccountClient> {
    if (this.client) return this.client;
    let url = this.configuredUrl;
    if (url === null) {
      const services = await this.listAccountServices();
      const up = services.find((s) => s.up && s.score > 0) ?? services.find((s) => s.up);
      if (!up) {
        throw new AccountServiceNotFoundError(`no account service up in the conscience (${services.length} registered)`, { route: 'conscience/list' });
      }
      url = /^https?:\/\//.test(up.addr) ? up.addr : `http://${up.addr}`;
    }
    this.client = createAccountClient({ ...this.http, url });
    return this.client;
  }

  private async listAccountServices(): ReturnType<ProxyApi['listServices']> {
    try {
      return await this.proxy.listServices('account');
    } catch (err) {
      if (!(err instanceof OioServiceTypeUnknownError)) throw err;
      throw new AccountServiceNotFoundError(
        'no account service: the conscience has no service of type account (oio status 453, "Service type [account] not managed"); ' +
          "set account.url in the configuration to the account service's address (e.g. http://10.0.0.1:6009)",
        { route: err.route, httpStatus: err.httpStatus, ...(err.oioStatus !== undefined ? { oioStatus: err.oioStatus } : {}), cause: err, permanent: true },
      );
    }
  }

  async *listAccounts(opts?: ListOptions): AsyncIterable<string> {
    yield* (await this.resolve()).listAccounts(opts);
  }

  async *listContainers(account: string, opts?: ListOptions): AsyncIterable<readonly string[]> {
    yield* (await this.resolve()).listContainers(account, opts);
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = null;
  }
}
