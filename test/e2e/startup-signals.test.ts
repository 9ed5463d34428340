// End to end: a stop signal at ANY moment of start-up is a clean stop (exit 0), never a death by
// signal (143) nor a half-started daemon that outlives its "stopped" line. The daemon holds the
// stop signals from its first line of JavaScript; from outside, the moment is visible in
// /proc/<pid>/status: SIGHUP becomes "caught" (Node does not catch it by itself) in the same tick
// as SIGTERM and SIGINT, so the test waits for that bit and then signals at several delays that
// cover module loading, configuration loading and the start of the services.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { spawnDaemon, tempDir, testConfig, waitUntil, writeYaml, type DaemonProcess } from '../helpers/daemon-process.js';

const SIGHUP_BIT = 1n << 0n; // signal n is bit n-1 of SigCgt

/** True once the process catches SIGHUP, i.e. once its start-up signal hold is in place. */
function catchesSighup(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
  return m !== null && (BigInt(`0x${m[1]}`) & SIGHUP_BIT) !== 0n;
}

async function spawnAndWaitForHold(configPath: string): Promise<DaemonProcess> {
  const daemon = spawnDaemon(['run', '--config', configPath]);
  const pid = daemon.child.pid;
  if (pid === undefined) throw new Error('no pid');
  await waitUntil('the start-up signal hold', () => daemon.exited === undefined && catchesSighup(pid), { intervalMs: 1, timeoutMs: 15_000 });
  return daemon;
}

describe('a stop signal during start-up', () => {
  it('exits 0, whatever moment of the start it hits', { timeout: 90_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 50, damagedShare: 0.1, seed: 3, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }));
    // How long a start takes here (hold → ready line), to spread the signals over all of it.
    const probe = await spawnAndWaitForHold(configPath);
    const heldAt = Date.now();
    await probe.waitForLog((l) => l.msg === 'ready', { what: 'the ready line' });
    const startMs = Date.now() - heldAt;
    expect(await probe.stop()).toEqual({ code: 0, signal: null });
    const outcomes: string[] = [`start took ${startMs} ms`];
    const plan = [0, 0.2, 0.5, 0.8, 0.95, 1.1].map((f, i) => [i === 2 ? 'SIGINT' : 'SIGTERM', Math.round(f * startMs)] as const);
    for (const [signal, delayMs] of plan) {
      const daemon = await spawnAndWaitForHold(configPath);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      daemon.signal(signal);
      const exit = await daemon.waitForExit({ timeoutMs: 20_000 });
      const last = daemon.lines[daemon.lines.length - 1]?.msg ?? '(no log line)';
      outcomes.push(`${signal} +${delayMs}ms: ${JSON.stringify(exit)} ready=${daemon.logs('ready').length} last line "${last}"`);
      expect(exit, `${signal} ${delayMs} ms after the hold\n${daemon.tail()}`).toEqual({ code: 0, signal: null });
      expect(last).toMatch(/^(stopped|stop signal received during start-up: stopped before starting)$/);
    }
    console.info(outcomes.join('\n'));
  });

  it('leaves other commands to Node: `check` killed during start-up dies of the signal', { timeout: 30_000 }, async () => {
    const daemon = spawnDaemon(['check', '--proxy', 'http://127.0.0.1:9', '--namespace', 'NS', 'a/c']);
    const pid = daemon.child.pid;
    if (pid === undefined) throw new Error('no pid');
    // Killed while it still holds the signals (or later): either way, Node's default.
    await waitUntil('the start-up signal hold', () => daemon.exited !== undefined || catchesSighup(pid), { intervalMs: 1, timeoutMs: 15_000 });
    daemon.signal('SIGTERM');
    const exit = await daemon.waitForExit({ timeoutMs: 15_000 });
    expect(exit.signal === 'SIGTERM' || exit.code !== null).toBe(true);
    expect(exit.code).not.toBe(0);
  });
});
