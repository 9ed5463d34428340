// The error catalogue and its helpers: every code written in src/ is in the catalogue (or is a
// reason code), README documents every entry, and a thrown value turns into text one way.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isReasonCode } from '../src/decisions/codes.js';
import { ALL_ERROR_CODES, ERROR_CODES, errorInfo, errorMessage, errorText } from '../src/errors.js';
import { JournalError } from '../src/journal/journal.js';
import { OioBadAnswerError, OioTimeoutError } from '../src/oio/errors.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/**
 * Node's system codes (`ENOENT`, `ECONNREFUSED`…) that src/ compares against, and the native
 * client's own socket failures named like them (`EOF`, `DEADLINE`), which it turns into
 * OIO_UNREACHABLE / OIO_TIMEOUT at its edge: none is ours to catalogue.
 */
const isSystemCode = (code: string): boolean => /^E[A-Z0-9]+$/.test(code) || code === 'DEADLINE';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Every code src/ writes: a prefixed code anywhere, or any upper-case literal given as a `code`. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(SRC)) {
    const rel = file.slice(SRC.length);
    if (rel === 'errors.ts' || rel === 'decisions/codes.ts') continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/'((?:OIO|REPAIRD|SIM|NATIVE|FLEET|ZK)_[A-Z0-9_]+)'/g)) {
      // OIO_REPAIRD_* are environment variables (src/config/env.ts), not codes.
      if (!m[1]!.startsWith('OIO_REPAIRD_')) found.set(m[1]!, rel);
    }
    for (const m of text.matchAll(/\bcode\b\s*(?:[:=]|===)\s*'([A-Z][A-Z0-9_]*)'/g)) found.set(m[1]!, rel);
  }
  return found;
}

describe('the error-code catalogue (src/errors.ts)', () => {
  it('holds every error code written in src/ (a reason code is in src/decisions/codes.ts instead)', () => {
    const found = codesInSource();
    expect(found.size).toBeGreaterThan(40);
    const missing = [...found].filter(([code]) => !(code in ERROR_CODES) && !isReasonCode(code) && !isSystemCode(code));
    expect(missing, 'codes used in src/ but not catalogued (file)').toEqual([]);
  });

  it('has the codes errorInfo gives to errors without their own', () => {
    expect(ALL_ERROR_CODES).toEqual(expect.arrayContaining(['ABORTED', 'INTERNAL', 'UNKNOWN']));
  });

  it('is documented whole, in its order, in README\'s "Error codes" table', () => {
    const start = README.indexOf('### Error codes');
    expect(start, 'README has a "### Error codes" section').toBeGreaterThan(0);
    const section = README.slice(start, README.indexOf('\n#', start + 1));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => ({ code: m[1]!, meaning: m[2]! }));
    expect(documented).toEqual(ALL_ERROR_CODES.map((code) => ({ code, meaning: ERROR_CODES[code] })));
  });

  it('shares no name with a reason code', () => {
    expect(ALL_ERROR_CODES.filter((code) => isReasonCode(code))).toEqual([]);
  });
});

describe('errorInfo: anything thrown as { code, message }', () => {
  const abort = new DOMException('stopped', 'AbortError');
  it.each([
    ['an oio error: its code', new OioTimeoutError('admin/has: deadline', { route: 'admin/has' }), { code: 'OIO_TIMEOUT', message: 'admin/has: deadline' }],
    ['a typed daemon error: its code', new JournalError('REPAIRD_JOURNAL_WRITE', '/j', 'cannot write'), { code: 'REPAIRD_JOURNAL_WRITE', message: 'cannot write' }],
    ['a system error: its code', Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }), { code: 'ECONNREFUSED', message: 'connect refused' }],
    ['an abort: ABORTED', abort, { code: 'ABORTED', message: 'stopped' }],
    ['an error without a code: INTERNAL', new TypeError('x is undefined'), { code: 'INTERNAL', message: 'x is undefined' }],
    ['a thrown non-error: UNKNOWN', 'a string', { code: 'UNKNOWN', message: 'a string' }],
  ])('%s', (_what, err, expected) => {
    expect(errorInfo(err)).toEqual(expected);
  });
});

describe('errorText and errorMessage: anything thrown as one line', () => {
  it.each([
    ['an oio error, prefixed with its code', new OioBadAnswerError('admin/has: not JSON', { route: 'admin/has' }), 'OIO_BAD_ANSWER: admin/has: not JSON', 'admin/has: not JSON'],
    ['another error: its message', new JournalError('REPAIRD_JOURNAL_WRITE', '/j', 'cannot write'), 'cannot write', 'cannot write'],
    ['a thrown non-error: as a string', 42, '42', '42'],
  ])('%s', (_what, err, text, message) => {
    expect(errorText(err)).toBe(text);
    expect(errorMessage(err)).toBe(message);
  });
});
