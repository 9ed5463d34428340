// The exit-code catalogue is the only source of exit codes, and README documents each one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('exit codes', () => {
  it('are distinct', () => {
    const codes = Object.values(EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(Object.entries(EXIT_CODES))('README documents %s (%i) in the exit-code table', (name, code) => {
    expect(readme).toMatch(new RegExp(`^\\| ${code} \\| \`${name}\` \\|`, 'm'));
  });
});
