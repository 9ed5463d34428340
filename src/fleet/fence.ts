// Fencing at the last moment: a proxy whose mutating calls (sync, leave, set_properties) are
// refused unless this member's ZooKeeper session is live and holds the container's lock. The
// executor checks it before every mutating request, so a session lost in the middle of a plan
// stops the plan before its next request. Reads pass through untouched.
import type { ContainerRef, ProxyApi } from '../oio/types.js';

export class FleetFencedError extends Error {
  readonly code = 'FLEET_FENCED';
  constructor(reason: string) {
    super(reason);
    this.name = 'FleetFencedError';
  }
}

/** `reason(cid)`: why a mutation must not be sent now, or null. */
export function fencedProxy<P extends ProxyApi>(proxy: P, reason: (cid: string) => string | null, onRefused?: () => void): P {
  const check = (ref: ContainerRef): void => {
    const why = reason(ref.cid);
    if (why === null) return;
    onRefused?.();
    throw new FleetFencedError(why);
  };
  return new Proxy(proxy, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== 'sync' && prop !== 'leave' && prop !== 'setProperties') return typeof value === 'function' ? value.bind(target) : value;
      const fn = value as (ref: ContainerRef, ...rest: unknown[]) => Promise<unknown>;
      return async (ref: ContainerRef, ...rest: unknown[]) => {
        check(ref);
        return fn.call(target, ref, ...rest);
      };
    },
  });
}
