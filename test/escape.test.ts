import { describe, expect, it } from 'vitest';
import { escapeControl, escapeLines } from '../src/escape.js';

describe('escapeControl: a value printed for a person', () => {
  it.each([
    ['ESC (terminal escapes)', 'a\u001b[2Jb', 'a\\u001b[2Jb'],
    ['an OSC title sequence ended by BEL', '\u001b]0;pwned\u0007', '\\u001b]0;pwned\\u0007'],
    ['CR (overwrites the line)', 'ok\rFAKE', 'ok\\rFAKE'],
    ['LF (forges a line)', 'a\nb', 'a\\nb'],
    ['TAB', 'a\tb', 'a\\tb'],
    ['NUL', 'a\u0000b', 'a\\u0000b'],
    ['DEL', 'a\u007fb', 'a\\u007fb'],
    ['the 8-bit CSI (C1)', 'a\u009b31mb', 'a\\u009b31mb'],
    ['U+2028 line separator', 'a\u2028b', 'a\\u2028b'],
    ['U+2029 paragraph separator', 'a\u2029b', 'a\\u2029b'],
    ['a bidi override (U+202E)', 'a\u202eb', 'a\\u202eb'],
    ['a bidi isolate (U+2066)', 'a\u2066b', 'a\\u2066b'],
  ])('escapes %s', (_what, input, expected) => {
    expect(escapeControl(input)).toBe(expected);
  });

  it.each([
    ['plain ASCII', 'myaccount/FVE0 logs-2024'],
    ['accents, CJK and emoji', 'café/写真/📷'],
    ['backslashes', 'a\\nb\\u001b'],
  ])('leaves %s unchanged', (_what, input) => {
    expect(escapeControl(input)).toBe(input);
  });
});

describe('escapeLines: a text of several lines', () => {
  it('keeps LF and TAB, escapes every other control character', () => {
    expect(escapeLines('one\u001b[31m\ttwo\r\nthree\u2028')).toBe('one\\u001b[31m\ttwo\\r\nthree\\u2028');
  });

  it('turns JSON text into JSON text with the same value', () => {
    const value = { name: 'a\u2028b\u009bc\u007fd\u202e', n: 1 };
    const escaped = escapeLines(JSON.stringify(value));
    expect(escaped).not.toMatch(/[\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(escaped)).toEqual(value);
  });
});
