// Request ids (`x-oio-req-id`, and `reqId` in the journal and the logs) must never repeat, not
// even across a restart that resumes the same sweep: an operator matches the proxy's logs to
// the journal by them.
import { describe, expect, it } from 'vitest';
import { runSweep } from '../../src/sweep/sweep.js';
import { containerNames, Harness } from './harness.js';

describe('sweep request ids', () => {
  it('are unique within a sweep and keep the sweep id as their prefix', async () => {
    const h = new Harness({ a1: containerNames(30) });
    const s = await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(new Set(h.reqIds).size).toBe(30);
    expect(h.reqIds.every((id) => id.startsWith(`sweep-${s.sweepId.slice(0, 8)}-`))).toBe(true);
  });

  it('do not repeat when a stopped sweep is resumed, however many times', async () => {
    const tree = { a1: containerNames(40), a2: containerNames(40) };
    const seen: string[] = [];
    let checkpoint = null as Harness['state']['checkpoint'];
    for (let run = 0; run < 4; run++) {
      const h = new Harness(tree);
      h.state.checkpoint = checkpoint;
      const stop = new AbortController();
      h.onProbe = (n) => n === 15 && stop.abort();
      await runSweep(h.deps(), h.options(stop.signal, { concurrency: 4 }));
      seen.push(...h.reqIds);
      checkpoint = h.state.checkpoint;
      expect(checkpoint, `run ${run} saved its position`).not.toBeNull();
    }
    const repeated = seen.filter((id, i) => seen.indexOf(id) !== i);
    expect(repeated).toEqual([]);
  });
});
