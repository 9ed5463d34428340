// Two projects, run one after the other (sequence.groupOrder): first the unit tests, two files at
// a time (vitest's default is one worker on a 2-core machine); then the tests that must have the
// machine to themselves, one file at a time: the end-to-end tests (test/e2e/, the folder is their
// only marker) and the in-process tests whose outcome depends on real time and CPU.
import { defineConfig } from 'vitest/config';

/** In-process tests timed by real clocks under load: a busy neighbour would skew what they measure. */
const TIMING_SENSITIVE = [
  // The adaptive pace against the simulator's load model: it asserts p95 latencies near a target.
  'test/schedule/adaptive.sim.test.ts',
  // Against a real ZooKeeper (a JVM, *.zk.test.ts) with 2-second sessions: a starved process loses its session.
  'test/**/*.zk.test.ts',
];

const shared = {
  testTimeout: 20_000,
  hookTimeout: 30_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    // Runs once before both projects (a project's own globalSetup would run again per project).
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', ...TIMING_SENSITIVE],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'alone',
          include: ['test/e2e/**/*.test.ts', ...TIMING_SENSITIVE],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
