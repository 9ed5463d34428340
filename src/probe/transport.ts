// Which transport reads the replicas: `proxy` (admin routes through oio-proxy, the default) or
// `native` (each meta2's own port, src/native/). One Prober for both, used for the probe and
// for the verification after a repair alike; repairs themselves always go through the proxy.
import type { ContainerRef, ProxyApi, ReplicaReadApi } from '../oio/types.js';
import { probeContainer, type ProbeOptions } from './probe.js';
import { probeContainerNative } from './probe-native.js';
import type { ContainerReport } from './types.js';

export { PROBE_TRANSPORTS, type ProbeTransport } from './types.js';

export type Prober = (ref: ContainerRef, opts: ProbeOptions) => Promise<ContainerReport>;

/** The proxy prober, or the native one when the replicas' native reads are given. */
export function prober(proxy: ProxyApi, native?: ReplicaReadApi): Prober {
  if (native) return (ref, opts) => probeContainerNative({ replicas: native, proxy }, ref, opts);
  return (ref, opts) => probeContainer(proxy, ref, opts);
}
