// Whether a live test may skip when its program (Prometheus, ZooKeeper, Chromium…) is missing:
// never in CI, loudly elsewhere. No vitest import, so that the benchmark can use the helpers
// that start those programs (bench/fleet.ts starts ZooKeeper through zookeeper.ts).

/** In CI (or with OIO_REQUIRE_LIVE_TOOLS=1) a missing program fails the tests instead of skipping them. */
export function liveToolsRequired(): boolean {
  return process.env['OIO_REQUIRE_LIVE_TOOLS'] === '1' || process.env['CI'] === 'true';
}

export function loudSkip(what: string, reason: string): void {
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n!!! SKIPPED: ${what}\n!!! ${reason}\n!!! CI never skips these (.ci/run installs the programs).\n${bar}\n`);
}
