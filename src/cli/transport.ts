// The replica transport of the one-shot commands (check, repair): `--transport proxy` (default)
// or `native`, which reads each replica on its meta2's own port (src/native/) with the
// configuration's probe.native limits (the schema's defaults) and --timeout as the per-request deadline.
import { openNative } from '../native/index.js';
import { prober, type Prober } from '../probe/transport.js';
import { PROBE_TRANSPORTS, type ProbeTransport } from '../probe/types.js';
import { intOption } from './args.js';
import type { OpenedProxy } from './proxy.js';
import { UsageError } from './usage-error.js';

export interface OpenedTransport {
  readonly name: ProbeTransport;
  /** Probes (and verifies after a repair) through this transport. */
  readonly probe: Prober;
  close(): Promise<void>;
}

/** Connections per meta2 service for one container: one is enough, a second absorbs a retry. */
const CLI_CONNECTIONS_PER_SERVICE = 2;

export function openTransport(command: string, values: { transport?: string; timeout?: string }, opened: OpenedProxy): OpenedTransport {
  const name = values.transport ?? 'proxy';
  if (!(PROBE_TRANSPORTS as readonly string[]).includes(name)) {
    throw new UsageError(`--transport: ${JSON.stringify(name)} is not one of ${PROBE_TRANSPORTS.join(', ')}`, command);
  }
  if (name === 'proxy') return { name: 'proxy', probe: prober(opened.proxy), close: () => Promise.resolve() };
  const { proxy, probe } = opened.config;
  const timeoutMs = intOption(command, 'timeout', values.timeout, proxy.requestTimeoutMs, 100, 300_000);
  const native = openNative({
    namespace: opened.namespace,
    connectTimeoutMs: Math.min(probe.native.connectTimeoutMs, proxy.connectTimeoutMs, timeoutMs),
    requestTimeoutMs: timeoutMs,
    maxFrameBytes: probe.native.maxFrameBytes,
    connectionsPerService: CLI_CONNECTIONS_PER_SERVICE,
  });
  return { name: 'native', probe: prober(opened.proxy, native.replicas), close: () => native.close() };
}
