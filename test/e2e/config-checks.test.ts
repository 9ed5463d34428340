// check-config checks what run checks: each file below was accepted by check-config while run
// exited 70 on it. Now both load it through the same loadRunnableConfig and exit 78 with the
// same specific line, and run never starts (no proxy is needed: none is configured to answer).
// check-config runs in the test process, run as the built binary (its real exit code).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli-io.js';
import { cleanEnv, runCli, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { closedPortUrl } from '../helpers/fake-http.js';

interface BadHost {
  readonly what: string;
  /** Overrides of the test configuration, given a fresh temporary directory. */
  readonly config: (dir: string) => Promise<Record<string, unknown>>;
  readonly env?: Record<string, string>;
  /** The problem line both commands print. */
  readonly message: RegExp;
  readonly skip?: () => string | undefined;
}

/** A read-only file system, like what ProtectSystem=strict makes of every path outside the unit's StateDirectory/ReadWritePaths. */
let readOnlyMount: string | undefined;
let mountRefused: string | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    mountRefused = 'needs root to mount a read-only tmpfs';
    return;
  }
  const dir = join(tmpdir(), `oio-repaird-ro-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    readOnlyMount = dir;
  } catch {
    mountRefused = 'mount -t tmpfs is not permitted here';
    rmSync(dir, { recursive: true, force: true });
  }
});

afterAll(() => {
  if (readOnlyMount === undefined) return;
  execFileSync('umount', [readOnlyMount], { stdio: 'ignore' });
  rmSync(readOnlyMount, { recursive: true, force: true });
});

const CASES: readonly BadHost[] = [
  {
    what: 'a metrics.listen address that is not loopback, without metrics.allowRemote',
    config: async () => ({ metrics: { listen: '0.0.0.0:0' } }),
    message: /metrics\.listen: "0\.0\.0\.0:0" is not a loopback address: set metrics\.allowRemote: true/,
  },
  {
    what: 'a metrics.listen address that is not one of this host, with metrics.allowRemote',
    config: async () => ({ metrics: { listen: '192.0.2.1:0', allowRemote: true } }),
    message: /metrics\.listen: "192\.0\.2\.1:0" is not an address of this host \(EADDRNOTAVAIL\)/,
  },
  {
    what: 'a NUL in state.dir',
    config: async (dir) => ({ state: { dir: `${dir}/st\u0000ate` } }),
    message: /state\.dir: ".*st\\u0000ate" must not contain a NUL character/,
  },
  {
    what: 'a journal.path that is a directory',
    config: async (dir) => {
      await mkdir(join(dir, 'journal.d'));
      return { journal: { path: join(dir, 'journal.d') } };
    },
    message: /journal\.path: ".*journal\.d" is a directory: journal\.path names the journal file/,
  },
  {
    what: 'a state.dir that is a file',
    config: async (dir) => {
      await writeFile(join(dir, 'plain'), '');
      return { state: { dir: join(dir, 'plain') } };
    },
    message: /state\.dir: ".*plain" is not a directory/,
  },
  {
    what: 'a state.dir this user may not write (sysfs refuses even root)',
    config: async () => ({ state: { dir: '/sys/kernel' } }),
    message: /state\.dir: "\/sys\/kernel" is not writable by uid \d+ \(EACCES: permission denied\)/,
  },
  {
    what: 'a state.dir that cannot be created under a directory this user may not write',
    config: async () => ({ state: { dir: '/sys/kernel/oio-repaird/state' } }),
    message: /state\.dir: "\/sys\/kernel\/oio-repaird\/state" does not exist and cannot be created in \/sys\/kernel, which is not writable by uid \d+ \((EACCES|EPERM): permission denied\)/,
  },
  {
    what: 'a state.dir outside what the systemd unit lets the daemon write (read-only, as ProtectSystem=strict makes it)',
    config: async () => ({ state: { dir: readOnlyMount } }),
    env: { STATE_DIRECTORY: '/var/lib/oio-repaird' },
    message: /state\.dir: ".*" is on a file system this process may not write \(EROFS\): under the systemd unit \(ProtectSystem=strict\) the daemon writes only to its StateDirectory, \/var\/lib\/oio-repaird \(this unit's StateDirectory is \/var\/lib\/oio-repaird\), and to ReadWritePaths=/,
    skip: () => mountRefused,
  },
];

describe('check-config and run refuse the same host problems with exit 78', () => {
  it.each(CASES.map((bad) => [bad.what, bad] as const))('%s', async (_what, bad) => {
    const why = bad.skip?.();
    if (why !== undefined) {
      console.warn(`skipped: ${why}`);
      return;
    }
    const dir = await tempDir();
    const stateDir = join(dir, 'state');
    const configFile = await writeYaml(join(dir, 'config.yaml'), testConfig({ proxyUrl: await closedPortUrl(), namespace: 'OPENIO', stateDir }, await bad.config(dir)));
    const opts = bad.env ? { env: bad.env } : {};

    const checked = await runInProcess(['check-config', '--config', configFile], cleanEnv(bad.env));
    expect(checked.stderr).toMatch(bad.message);
    expect(checked.code).toBe(78);

    const run = await runCli(['run', '--config', configFile], { ...opts, timeoutMs: 50_000 });
    const fatal = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(fatal).toEqual([expect.objectContaining({ level: 'fatal', msg: expect.stringMatching(bad.message) })]);
    expect(run.code).toBe(78);
  }, 90_000);

  it('both still accept a good host: a missing state directory run will create, loopback metrics', async () => {
    const dir = await tempDir();
    const configFile = await writeYaml(join(dir, 'config.yaml'), testConfig({ proxyUrl: await closedPortUrl(), namespace: 'OPENIO', stateDir: join(dir, 'a', 'b') }));
    const checked = await runInProcess(['check-config', '--config', configFile], cleanEnv());
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  });
});
