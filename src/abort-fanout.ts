// One 'abort' listener per signal, however many waiters hang on it. A sweep hands the same
// signal to every request and every wait; an EventTarget listener added and removed per request
// cost more client CPU than parsing the answer (BENCHMARKS.md). Not a general event bus: each
// callback runs at most once, on the first abort, and can be withdrawn in O(1).
export type OnAbort = (reason: unknown) => void;

export class AbortFanout {
  private readonly waiting = new WeakMap<AbortSignal, Set<OnAbort>>();

  /** Calls `onAbort(signal.reason)` when the signal aborts, unless delete()d first. The signal must not be aborted yet. */
  add(signal: AbortSignal, onAbort: OnAbort): void {
    let set = this.waiting.get(signal);
    if (set === undefined) {
      const callbacks = new Set<OnAbort>();
      set = callbacks;
      this.waiting.set(signal, callbacks);
      signal.addEventListener('abort', () => {
        const all = [...callbacks];
        callbacks.clear();
        for (const callback of all) callback(signal.reason);
      }, { once: true });
    }
    set.add(onAbort);
  }

  delete(signal: AbortSignal, onAbort: OnAbort): void {
    this.waiting.get(signal)?.delete(onAbort);
  }
}
