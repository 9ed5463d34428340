// CPU profiles of this process over one measured stretch (a bare-undici replay, a sweep slice),
// through node:inspector, so that the two sides of the CPU-per-request ratio can be profiled
// apart and compared with profile-summary.js (`--self-prof-dir=DIR`). Profiling slows the
// client: figures of a profiled run are for finding costs, not for quoting.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export interface SelfProfiler {
  /** Profiles `work`, writing DIR/<name>.cpuprofile; without a directory just runs it. */
  around<T>(name: string, work: () => Promise<T>): Promise<T>;
}

export const noSelfProfile: SelfProfiler = { around: (_name, work) => work() };

export function selfProfiler(dir: string | null): SelfProfiler {
  if (dir === null) return noSelfProfile;
  return {
    async around(name, work) {
      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      try {
        return await work();
      } finally {
        const { profile } = await session.post('Profiler.stop');
        session.disconnect();
        await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      }
    },
  };
}
