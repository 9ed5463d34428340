// README's "Reason codes" table and the catalogue (src/decisions/codes.ts) list the same codes,
// with the same kinds, in the same order: an operator reading the README sees every code the
// daemon can emit, and no code that does not exist.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_REASON_CODES, REASON_CODES } from '../../src/decisions/codes.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function documentedCodes(): { code: string; kind: string }[] {
  const start = readme.indexOf('### Reason codes');
  expect(start, 'README has a "### Reason codes" section').toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n#', start + 1));
  return [...section.matchAll(/^\| `([A-Z_]+)` \| (\w+) \| .+ \|$/gm)].map((m) => ({ code: m[1]!, kind: m[2]! }));
}

describe('README reason codes', () => {
  it('documents every code of the catalogue, with its kind, and no other', () => {
    const catalogue = ALL_REASON_CODES.map((code) => ({ code, kind: REASON_CODES[code].kind }));
    expect(documentedCodes()).toEqual(catalogue);
  });
});
