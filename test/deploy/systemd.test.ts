// The systemd unit read as text, asserting the settings the daemon's contract depends on
// (exit 78 not restarted, notify + watchdog, check-config before start and reload, node run
// directly) and the hardening that must not silently regress. systemd-analyze verify/security
// run in .ci/deploy-checks.sh; this test runs everywhere, without systemd.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { fdsNeeded } from '../../src/daemon/fd-budget.js';
import { readRepoFile } from './promql.js';

type Unit = Map<string, Map<string, string[]>>;

/** Sections → key → values in order (repeated keys accumulate, as systemd's list settings do). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) { section = header[1] ?? ''; if (!unit.has(section)) unit.set(section, new Map()); continue; }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    const values = unit.get(section)?.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    unit.get(section)?.set(key, values);
  }
  return unit;
}

/** systemd time spans as seconds: `45s`, `1min 30s`, `2min`, bare numbers are seconds. */
function seconds(span: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600 };
  let total = 0;
  for (const m of span.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/g)) total += Number(m[1]) * (units[m[2] || 's'] ?? NaN);
  return total;
}

const text = readRepoFile('deploy/systemd/oio-repaird.service');
const unit = parseUnit(text);
const service = unit.get('Service') ?? new Map<string, string[]>();
const one = (key: string): string | undefined => service.get(key)?.at(-1);
const all = (key: string): string[] => service.get(key) ?? [];
const DAEMON_GRACE_SECONDS = 30; // shutdown.graceSeconds default
const NODE = '/usr/bin/node';
const MAIN = '/usr/lib/oio-repaird/dist/main.js';
const CONFIG = '/etc/oio-repaird/config.yaml';

/** The comment block right above the first line starting with `prefix`. */
function commentAbove(prefix: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(prefix));
  const comments: string[] = [];
  for (let i = at - 1; i >= 0 && lines[i]?.startsWith('#'); i--) comments.unshift(lines[i] ?? '');
  return comments.join('\n');
}

describe('deploy/systemd/oio-repaird.service', () => {
  it('sets LimitNOFILE above the file descriptors the daemon can hold with every connection setting at its maximum', () => {
    const limit = Number(one('LimitNOFILE'));
    const widest = configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'NS', connections: 1024 }, metrics: { maxConnections: 1024 } });
    expect(() => configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'NS', connections: 1025 } })).toThrow();
    expect(() => configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'NS' }, metrics: { maxConnections: 1025 } })).toThrow();
    expect(limit).toBeGreaterThanOrEqual(fdsNeeded(widest));
  });

  it('has the Unit, Service and Install sections, installed into multi-user.target', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('runs node directly on the built daemon, never through npm', () => {
    expect(all('ExecStart')).toEqual([`${NODE} --max-semi-space-size=8 --max-old-space-size=96 ${MAIN} run --config ${CONFIG}`]);
    for (const key of ['ExecStart', 'ExecStartPre', 'ExecReload']) {
      for (const cmd of all(key)) expect(cmd).not.toMatch(/\bnpm\b|\bnpx\b/);
    }
  });

  it('checks the configuration before starting and before signalling a reload', () => {
    const check = `${NODE} ${MAIN} check-config --config ${CONFIG}`;
    expect(all('ExecStartPre')).toEqual([check]);
    expect(all('ExecReload')).toEqual([check, '/bin/kill -HUP $MAINPID']);
  });

  it('restarts on failure but never on a bad configuration (exit 78)', () => {
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')?.split(/\s+/)).toContain('78');
    expect(unit.get('Unit')?.get('StartLimitBurst')).toBeDefined();
  });

  it('waits for READY=1 from the spawned systemd-notify and arms the watchdog', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('all');
    expect(seconds(one('WatchdogSec') ?? '0')).toBeGreaterThan(0);
  });

  it('gives the daemon more time to stop than its own grace period', () => {
    expect(seconds(one('TimeoutStopSec') ?? '0')).toBeGreaterThan(DAEMON_GRACE_SECONDS);
    expect(one('KillMode')).toBe('mixed');
  });

  it('runs as a dynamic user with its own state and configuration directories', () => {
    expect(one('DynamicUser')).toBe('yes');
    expect(one('StateDirectory')).toBe('oio-repaird');
    expect(one('ConfigurationDirectory')).toBe('oio-repaird');
    expect(one('User')).toBeUndefined();
  });

  it('keeps the sandbox settings that give the measured exposure', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('PrivateDevices')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies')).toBe('AF_UNIX AF_INET AF_INET6');
    expect(all('SystemCallFilter')).toEqual(['@system-service', '~@privileged @resources']);
    expect(one('SystemCallArchitectures')).toBe('native');
  });

  it('leaves MemoryDenyWriteExecute off (V8 JIT) and says why', () => {
    expect(one('MemoryDenyWriteExecute')).not.toBe('yes');
    expect(commentAbove('MemoryDenyWriteExecute=')).toMatch(/V8|JIT/);
  });

  it('explains the non-obvious settings in comments', () => {
    for (const key of ['NotifyAccess=', 'RestartPreventExitStatus=', 'TimeoutStopSec=', 'ProcSubset=', 'ExecStart=', 'EnvironmentFile=']) {
      expect(commentAbove(key), key).not.toBe('');
    }
  });

  it('reads an optional environment file', () => {
    expect(one('EnvironmentFile')).toBe('-/etc/default/oio-repaird');
    // Fewer malloc arenas: a lower RSS peak at the same speed (BENCHMARKS.md, memory phase).
    expect(all('Environment')).toEqual(['NODE_ENV=production', 'MALLOC_ARENA_MAX=2']);
  });
});

describe('deploy/systemd/oio-repaird.env', () => {
  const env = readRepoFile('deploy/systemd/oio-repaird.env');

  it('only sets (or shows commented) OIO_REPAIRD_* variables in KEY=value form', () => {
    const settings = env.split('\n').map((l) => l.replace(/^#(?=[A-Z_]+=)/, '')).filter((l) => /^[A-Z_]+=/.test(l));
    expect(settings.length).toBeGreaterThanOrEqual(4);
    for (const s of settings) expect(s).toMatch(/^OIO_REPAIRD_[A-Z_]+=\S+$/);
    expect(settings.map((s) => s.split('=')[0])).toEqual(expect.arrayContaining([
      'OIO_REPAIRD_PROXY_URL', 'OIO_REPAIRD_NAMESPACE', 'OIO_REPAIRD_LOG_LEVEL', 'OIO_REPAIRD_DRY_RUN',
    ]));
  });
});

describe('deploy/systemd/oio-repaird.service.d/override.conf.example', () => {
  const example = readRepoFile('deploy/systemd/oio-repaird.service.d/override.conf.example');
  const uncommented = parseUnit(example.replace(/^#(?=[A-Z][A-Za-z]+=)/gm, ''));

  it('is a [Service] drop-in whose examples clear a list before replacing it', () => {
    expect([...uncommented.keys()]).toEqual(['Service']);
    const svc = uncommented.get('Service');
    for (const key of ['ExecStart', 'ExecStartPre', 'ExecReload']) expect(svc?.get(key)?.[0], key).toBe('');
  });

  it('keeps a longer stop timeout above the default grace', () => {
    expect(seconds(uncommented.get('Service')?.get('TimeoutStopSec')?.[0] ?? '0')).toBeGreaterThan(DAEMON_GRACE_SECONDS);
  });
});
