// End to end: corrupt state files fail safe. A repair-gate.json that cannot be parsed is kept
// aside (renamed, byte for byte), counted in a metric and logged, and the daemon starts in the
// conservative state: no repair until the hour's budget window has passed, also across a
// restart. Temp files left by writes cut short by a crash are removed at start.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { damagedContainers } from './sim-truth.js';

const GARBAGE = '{"version":1,"hourly":[17000000';

describe('corrupt state files', () => {
  it('a corrupt repair history is kept aside and holds repairs back for the hour, restarts included; stale temp files go', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 60, damagedShare: 0.1, seed: 12, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected()).length;
    expect(damaged).toBeGreaterThan(1);
    const dir = await tempDir();
    await writeFile(join(dir, 'repair-gate.json'), GARBAGE);
    await writeFile(join(dir, 'sweep-position.json'), 'not json either');
    await writeFile(join(dir, 'repair-gate.json.4242.tmp'), '{"version":1,"hourly":[],"att');
    await writeFile(join(dir, 'sweep-position.json.4243.tmp'), '');
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }));

    const first = await startDaemon(config);
    const done = await first.waitForNth('sweep done', 1);
    expect(done['counts']).toMatchObject({ damagedContainers: damaged, repairs: { skipped_budget: damaged, succeeded: 0, failed: 0 } });
    expect(sim.stats().mutationsByContainer).toEqual({});
    const unusable = first.logs('repair history unusable: what the last hour spent is unknown, so no repairs for an hour');
    expect(unusable).toHaveLength(1);
    expect(unusable[0]).toMatchObject({ level: 'error', problem: 'corrupt', keptAs: expect.stringContaining('repair-gate.json.corrupt-') });
    const m = await first.scrape();
    expect(m.value('oio_repaird_state_file_problems_total', { file: 'repair_history', problem: 'corrupt' })).toBe(1);
    expect(m.value('oio_repaird_state_file_problems_total', { file: 'sweep_position', problem: 'corrupt' })).toBe(1);
    expect(m.value('oio_repaird_repair_budget_remaining')).toBe(0);
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const kept = files.filter((f) => f.startsWith('repair-gate.json.corrupt-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0]!), 'utf8')).toBe(GARBAGE);
    expect(files.filter((f) => f.startsWith('sweep-position.json.corrupt-'))).toHaveLength(1);
    expect(existsSync(join(dir, 'repair-gate.json')), 'a fresh history holding the hold').toBe(true);

    // A restart does not lift the hold: it was saved with the history.
    const second = await startDaemon(config);
    const again = await second.waitForNth('sweep done', 1);
    expect(again['counts']).toMatchObject({ repairs: { skipped_budget: damaged, succeeded: 0 } });
    expect(sim.stats().mutationsByContainer).toEqual({});
    expect((await second.scrape()).value('oio_repaird_state_file_problems_total', { file: 'repair_history' })).toBe(0);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });
});
