// End to end: hundreds of idle clients on the /metrics port (1,100 of them once used up the fd
// limit and broke the sweeps). The daemon holds at most metrics.maxConnections of them, cuts the
// idle ones off, completes its sweep meanwhile, and /metrics answers again once they are gone.
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { cronInSeconds, startDaemon, tempDir, testConfig, waitUntil, writeYaml } from '../helpers/daemon-process.js';

const IDLE_CLIENTS = 400;
const CAP = 16;

describe('idle clients on the metrics port', () => {
  it(`${IDLE_CLIENTS} idle clients: the daemon holds at most metrics.maxConnections (${CAP}), the sweep completes, /metrics answers after they are cut off`, { timeout: 240_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 60, accounts: 2, damagedShare: 0, seed: 4 } });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      { metrics: { maxConnections: CAP }, schedule: { runAtStart: false, cron: cronInSeconds(10) } },
    ));
    const daemon = await startDaemon(configPath, { readyTimeoutMs: 60_000 });
    const pid = daemon.child.pid as number;
    const fdsAtStart = readdirSync(`/proc/${pid}/fd`).length;

    const sockets: Socket[] = [];
    onTestFinished(() => sockets.forEach((s) => s.destroy()));
    const closed: Promise<void>[] = [];
    for (let i = 0; i < IDLE_CLIENTS; i++) {
      const socket = connect(daemon.metricsPort, '127.0.0.1');
      socket.resume();
      socket.on('error', () => undefined);
      closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
      sockets.push(socket);
    }
    // Over the cap, clients are closed as they arrive: the daemon's descriptors stay bounded.
    let peakFds = 0;
    const sweepEnd = daemon.waitForLog((l) => l.msg === 'sweep done', { timeoutMs: 150_000, what: 'the sweep' });
    let ended = false;
    void sweepEnd.finally(() => (ended = true)).catch(() => undefined);
    while (!ended) {
      peakFds = Math.max(peakFds, readdirSync(`/proc/${pid}/fd`).length);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await sweepEnd).toMatchObject({ result: 'completed', done: 60 });
    expect(peakFds - fdsAtStart).toBeLessThanOrEqual(CAP + 40);

    // The idle ones within the cap are cut off after the 10 s headers timeout; then /metrics answers.
    await Promise.all(closed);
    await waitUntil('/metrics answering', async () => (await daemon.get('/metrics')).status === 200, { timeoutMs: 40_000 });
    expect(daemon.exited).toBeUndefined();
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
