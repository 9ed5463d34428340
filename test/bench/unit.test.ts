// The memory phase measures the daemon as the systemd unit starts it: its node flags and its
// environment are read from deploy/systemd/oio-repaird.service, not copied.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseOptions } from '../../bench/options.js';
import { parseUnit, unitPath } from '../../bench/unit.js';

describe('the unit as the benchmark reads it', () => {
  const shipped = parseUnit(readFileSync(unitPath(), 'utf8'));

  it('takes the node flags of ExecStart and every Environment= setting', () => {
    expect(shipped.nodeFlags).toEqual(['--max-semi-space-size=8', '--max-old-space-size=96']);
    expect(shipped.env).toEqual({ NODE_ENV: 'production', MALLOC_ARENA_MAX: '2' });
  });

  it('makes them the memory phase defaults, which flags still override', () => {
    expect(DEFAULTS.memNodeFlags).toEqual(shipped.nodeFlags);
    expect(DEFAULTS.memEnv).toEqual(shipped.env);
    const opts = parseOptions(['--mem-node-flags=--max-semi-space-size=4', '--mem-env=MALLOC_ARENA_MAX=4 X=1'], {});
    expect(opts.memNodeFlags).toEqual(['--max-semi-space-size=4']);
    expect(opts.memEnv).toEqual({ MALLOC_ARENA_MAX: '4', X: '1' });
    expect(() => parseOptions(['--mem-env=NOEQUALS'], {})).toThrow(/not NAME=VALUE/);
  });

  it.each([
    ['no ExecStart', '[Service]\nEnvironment=A=1\n', /one ExecStart=, found 0/],
    ['two ExecStart', 'ExecStart=/usr/bin/node /x/main.js run\nExecStart=/usr/bin/node /x/main.js run\n', /found 2/],
    ['no main.js', 'ExecStart=/usr/bin/node /x/other.js\n', /runs no/],
    ['a bad assignment', 'ExecStart=/usr/bin/node /x/main.js\nEnvironment=JUNK\n', /bad Environment=/],
  ])('refuses a unit with %s', (_what, text, error) => {
    expect(() => parseUnit(text)).toThrow(error);
  });

  it('reads commented-out lines as nothing', () => {
    expect(parseUnit('#ExecStart=/usr/bin/node --a /x/main.js\nExecStart=/usr/bin/node --b /x/main.js run\n# Environment=A=1\n')).toEqual({ nodeFlags: ['--b'], env: {} });
  });
});
