// The status page in a real headless Chromium (Debian's `chromium`): the built daemon sweeps the
// demo namespace in report-only mode (its damage stays), and the page renders without a single
// console error or failed request, loads nothing from outside, and shows the namespace, the
// sweep, the injected damage and the unrepairable container. With OIO_WRITE_SCREENSHOT=1 it
// also refreshes docs/status-page.png (shown in the README). Skipped LOUDLY without Chromium,
// except in CI where it fails.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { demoScenario, startSimulator } from '../../src/sim/index.js';
import { Chromium, findChromium } from '../helpers/chromium.js';
import { REPO_ROOT, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { liveToolsRequired, loudSkip } from '../helpers/monitoring.js';

const chromium = findChromium();
const title = 'the status page in headless Chromium';

if (!chromium && !liveToolsRequired()) loudSkip(`${title} (test/e2e/status-page.browser.test.ts)`, 'no chromium (apt-get install --no-install-recommends chromium, or set OIO_CHROMIUM)');

describe.skipIf(!chromium && !liveToolsRequired())(title, () => {
  it('renders without console errors, loads nothing from outside, and shows the damage the daemon found', { timeout: 90_000 }, async () => {
    if (!chromium) throw new Error('chromium is required here (CI): apt-get install --no-install-recommends chromium');
    const sim = await startSimulator({ scenario: demoScenario() });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const daemon = await startDaemon(await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      { repair: { mode: 'report-only' } },
    )));
    await daemon.waitForNth('sweep done', 1, { timeoutMs: 30_000 });

    const browser = await Chromium.launch(chromium);
    onTestFinished(() => browser.close());
    const page = await browser.visit(`${daemon.baseUrl}/`);
    expect(page.errors).toEqual([]);
    expect(page.requests.filter((u) => !u.startsWith(daemon.baseUrl))).toEqual([]);
    expect(page.title).toBe(`oio-repaird · ${sim.namespace}`);
    expect(page.text).toContain(`namespace ${sim.namespace}`);
    expect(page.text).toMatch(/mode report-only, ready/);
    // The last sweep, the seed's damage (report-only: previewed, not repaired) and the
    // container without a healthy quorum.
    expect(page.text).toMatch(/completed\s+18\s/);
    expect(page.text).toContain('myaccount/FVE0');
    expect(page.text).toContain('127.0.0.1:6131 slave missing-keys (sys.m2.ctime)');
    expect(page.text).toMatch(/Unrepairable containers \(1\)[\s\S]*archive\/tapes/);
    expect(page.text).toContain('dry_run');
    expect(page.screenshot.subarray(1, 4).toString()).toBe('PNG');

    // The runbook link leads somewhere, in the same browser.
    const runbook = await browser.visit(`${daemon.baseUrl}/runbook`);
    expect(runbook.errors).toEqual([]);
    expect(runbook.text).toContain('OioRepairdUnrepairableContainers');

    if (process.env['OIO_WRITE_SCREENSHOT'] === '1') await writeFile(join(REPO_ROOT, 'docs/status-page.png'), page.screenshot);
  });
});
