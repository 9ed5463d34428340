// Opens the proxy client for one-shot commands (check, repair) from the common options.
import { createProxyClient } from '../oio/proxy-client.js';
import type { ContainerRef, ProxyApi } from '../oio/types.js';
import { checkProxySupport, isUnsupportedProxy } from '../probe/proxy-guard.js';
import { intOption, namespaceName, proxyUrl } from './args.js';
import { println, type CliIO } from './command.js';
import { EX_UNSUPPORTED_PROXY } from './exit-codes.js';

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
  // --timeout bounds each request in total (connect, headers, whole body), as the usage says.
  const client = createProxyClient({
    url, namespace, connectTimeoutMs: Math.min(2000, timeoutMs), headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs, deadlineMs: timeoutMs,
  });
  return { proxy: client, url, namespace, close: () => client.close() };
}

/**
 * Checks, before anything else, that the proxy honours `service_id` (src/probe/proxy-guard.ts).
 * Returns EX_UNSUPPORTED_PROXY after printing why, or undefined to go on.
 */
export async function refuseUnsupportedProxy(command: string, opened: OpenedProxy, ref: ContainerRef, io: CliIO): Promise<number | undefined> {
  try {
    await checkProxySupport(opened.proxy, ref);
    return undefined;
  } catch (err) {
    if (!isUnsupportedProxy(err)) throw err;
    printUnsupportedProxy(command, opened.url, err, io);
    return EX_UNSUPPORTED_PROXY;
  }
}

export function printUnsupportedProxy(command: string, url: string, err: unknown, io: CliIO): void {
  println(io.stderr, `oio-repaird ${command}: ${err instanceof Error ? err.message : String((err as { message?: unknown }).message)}`);
  println(io.stderr, `oio-repaird ${command}: nothing was probed or changed through ${url}; use a proxy from oio-sds 4.4 or later (the proxy is stateless: it can be newer than the meta2 services)`);
}
