// Opens the proxy client for one-shot commands (check, repair) from the common options, with
// the configuration they run with: the schema's defaults around that proxy (config/runtime.ts).
import { defaultConfig } from '../config/runtime.js';
import type { Config } from '../config/schema.js';
import { createProxyClient, type ProxyClient } from '../oio/proxy-client.js';
import type { ContainerRef } from '../oio/types.js';
import { requiredKeysFor, traitsOf, type OioVersionSetting } from '../oio/versions.js';
import { decideLine } from '../probe/oio-line.js';
import { inspectProxy } from '../probe/proxy-guard.js';
import type { ProbeTransport } from '../probe/types.js';
import { intOption, namespaceName, proxyUrl } from './args.js';
import { println, type CliIO } from './command.js';
import { EX_UNSUPPORTED_PROXY } from './exit-codes.js';

export interface OpenedProxy {
  readonly proxy: ProxyClient;
  readonly url: string;
  readonly namespace: string;
  /** The schema's defaults around this proxy: what the command runs with, as a daemon would. */
  readonly config: Config;
  close(): Promise<void>;
}

export function openProxy(command: string, values: { proxy?: string; ns?: string; timeout?: string }, env: NodeJS.ProcessEnv): OpenedProxy {
  const url = proxyUrl(command, values.proxy, env);
  const namespace = namespaceName(command, values.ns, env);
  const config = defaultConfig({ url, namespace });
  const timeoutMs = intOption(command, 'timeout', values.timeout, config.proxy.requestTimeoutMs, 100, 600_000);
  // --timeout bounds each request in total (connect, headers, whole body), as the usage says.
  const client = createProxyClient({
    url, namespace, connectTimeoutMs: Math.min(config.proxy.connectTimeoutMs, timeoutMs), headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs, deadlineMs: timeoutMs,
  });
  return { proxy: client, url, namespace, config, close: () => client.close() };
}

/** The probe options that follow the proxy's line. */
export interface LineOptions {
  readonly requiredKeys: readonly string[];
  readonly emptyMayBeUnreachable: boolean;
}

/**
 * Before anything else, the proxy's oio-sds line from the check's requests (src/probe/oio-line.ts;
 * `auto` unless a configured proxy.oioVersion is given): the client adapts to it, a warning is printed for the proxy transport on a line whose
 * reads run elections, and a 4.2.x/4.3.x proxy with the proxy transport is refused. Returns the
 * exit code EX_UNSUPPORTED_PROXY after printing why, or the probe options to go on with.
 */
export async function adaptToProxyLine(
  command: string, opened: OpenedProxy, ref: ContainerRef, transport: ProbeTransport, keys: readonly string[], io: CliIO,
  setting: OioVersionSetting = 'auto',
): Promise<number | LineOptions> {
  const { signs } = await inspectProxy(opened.proxy.strict(), ref);
  const decision = decideLine(setting, transport, signs);
  if (decision.refuse) {
    printUnsupportedProxy(command, opened.url, { message: `unsupported proxy: ${decision.refuse}` }, io);
    return EX_UNSUPPORTED_PROXY;
  }
  opened.proxy.line = decision.line;
  if (decision.warn) println(io.stderr, `oio-repaird ${command}: warning: ${decision.warn}`);
  const required = requiredKeysFor(decision.line, keys);
  if (required.dropped.length > 0) {
    println(io.stderr, `oio-repaird ${command}: not required on ${decision.label}, whose bases may lack them: ${required.dropped.join(', ')}`);
  }
  return { requiredKeys: required.keys, emptyMayBeUnreachable: !traitsOf(decision.line).unreachableReadIs503 };
}

export function printUnsupportedProxy(command: string, url: string, err: unknown, io: CliIO): void {
  println(io.stderr, `oio-repaird ${command}: ${err instanceof Error ? err.message : String((err as { message?: unknown }).message)}`);
  println(io.stderr, `oio-repaird ${command}: nothing was probed or changed through ${url}; use a proxy from oio-sds 4.4 or later (the proxy is stateless: it can be newer than the meta2 services), or --transport native`);
}
