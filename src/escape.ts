// Terminal-safe text: the one helper that escapes control characters (terminal escapes, CR, NUL,
// line and paragraph separators, bidi overrides) in anything a person reads. Container names,
// peer answers and key names come from the namespace and may hold any of them; printed raw, they
// can rewrite the screen or forge lines. Escapes use the `\uXXXX` form, which is also valid JSON.

/** C0 and C1 controls, DEL, U+2028/U+2029 and the bidi embedding/override/isolate characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same without LF and TAB: what may stay in a text of several lines (usage, tables). */
const UNSAFE_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(char: string): string {
  return SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One value (a name, a peer's message): every control character escaped, LF and TAB included. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * A whole text of several lines: the line breaks and tabs stay, every other control character is
 * escaped. Applied to everything the CLI prints, as a net under the per-value escaping; on JSON
 * text it only rewrites characters inside strings into equivalent `\uXXXX` escapes.
 */
export function escapeLines(text: string): string {
  return text.replace(UNSAFE_IN_LINES, escapeChar);
}
