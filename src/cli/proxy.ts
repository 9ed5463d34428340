// Opens the proxy client for one-shot commands (check, repair) from the common options.
import { createProxyClient } from '../oio/proxy-client.js';
import type { ProxyApi } from '../oio/types.js';
import { intOption, namespaceName, proxyUrl } from './args.js';

export interface OpenedProxy {
  readonly proxy: ProxyApi;
  readonly url: string;
  readonly namespace: string;
  close(): Promise<void>;
}

export function openProxy(command: string, values: { proxy?: string; ns?: string; timeout?: string }, env: NodeJS.ProcessEnv): OpenedProxy {
  const url = proxyUrl(command, values.proxy, env);
  const namespace = namespaceName(command, values.ns, env);
  const timeoutMs = intOption(command, 'timeout', values.timeout, 10_000, 100, 600_000);
  const client = createProxyClient({ url, namespace, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
  return { proxy: client, url, namespace, close: () => client.close() };
}
