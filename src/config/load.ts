// Reads the YAML configuration file, merges the OIO_REPAIRD_* overrides and validates the result
// against the schema, turning every problem into a ConfigIssue with file:line:col (or the
// environment variable) and the setting path. No side effects besides reading the one file, so
// start-up, `--check-config` and SIGHUP share it. Reports all problems at once, not the first.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { core } from 'zod';
import { applyEnvOverrides, resolveConfigPath } from './env.js';
import type { ConfigIssue } from './errors.js';
import { configSchema, RENAMED_SETTINGS, type Config } from './schema.js';

/** Where a setting of the loaded file came from (file:line:col, or its environment variable). */
export type SettingLocator = (dotted: string) => Pick<ConfigIssue, 'file' | 'line' | 'col' | 'path'>;

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly source: string; readonly locate: SettingLocator }
  | { readonly ok: false; readonly errors: ConfigIssue[] };

/**
 * Loads the configuration from `path` (else $OIO_REPAIRD_CONFIG, else /etc/oio-repaird/config.yaml)
 * with the environment's overrides applied. Never throws for a bad file: it returns the issues.
 */
export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv): Promise<LoadResult> {
  const source = resolveConfigPath(path, env);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ file: source, path: '', message: describeReadError(err) }] };
  }
  return parseConfigText(text, source, env);
}

/** Same as loadConfig for text already in memory; `file` is only used in issue locations. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e): ConfigIssue => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { file, line: pos.line, col: pos.col, path: '', message: `YAML syntax error: ${firstLine(e.message)}` };
    });
    return { ok: false, errors };
  }
  let fromFile: unknown;
  try {
    fromFile = doc.contents === null ? {} : doc.toJS();
  } catch (err) {
    // toJS() throws (ReferenceError) on an alias to an unknown anchor or too many aliases
    // (a resource-exhaustion guard): a bad file, never a crash (SIGHUP reloads call this too).
    return { ok: false, errors: [{ file, ...locate(doc, lineCounter, [], false), path: '', message: `YAML error: ${firstLine((err as Error).message)}` }] };
  }
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    return { ok: false, errors: [{ file, ...locate(doc, lineCounter, [], false), path: '', message: 'the file must be a YAML mapping of settings (proxy:, schedule:, …)' }] };
  }
  const { merged, origins } = applyEnvOverrides(fromFile as Record<string, unknown>, env);
  const parsed = configSchema.safeParse(merged);
  const ctx: IssueContext = { file, doc, lineCounter, merged, origins };
  if (parsed.success) return { ok: true, config: parsed.data, source: file, locate: (dotted) => settingPlace(dotted.split('.'), ctx) };
  const errors = parsed.error.issues.flatMap((issue) => toConfigIssues(issue, ctx));
  return { ok: false, errors };
}

interface IssueContext {
  readonly file: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  readonly merged: Record<string, unknown>;
  readonly origins: ReadonlyMap<string, string>;
}

type Key = string | number;

function toConfigIssues(issue: core.$ZodIssue, ctx: IssueContext): ConfigIssue[] {
  const base = issue.path.filter((k): k is Key => typeof k === 'string' || typeof k === 'number');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(base);
    const hint = known.length > 0 ? ` (known keys here: ${known.join(', ')})` : '';
    return issue.keys.map((key) => {
      const renamed = RENAMED_SETTINGS[dottedPath([...base, key])];
      const message = renamed === undefined ? `Unrecognized key ${JSON.stringify(key)}${hint}` : `${JSON.stringify(key)} was renamed: write ${renamed} instead (same meaning)`;
      return place([...base, key], message, undefined, true, ctx);
    });
  }
  const value = valueAt(ctx.merged, base);
  return [place(base, reason(issue, value), value, false, ctx)];
}

function place(keys: readonly Key[], message: string, value: unknown, atKey: boolean, ctx: IssueContext): ConfigIssue {
  return { ...settingPlace(keys, ctx, atKey), ...(value === undefined ? {} : { value }), message };
}

function settingPlace(keys: readonly Key[], ctx: IssueContext, atKey = false): Pick<ConfigIssue, 'file' | 'line' | 'col' | 'path'> {
  const dotted = dottedPath(keys);
  const envName = envOrigin(dotted, ctx.origins);
  if (envName !== undefined) return { path: `env ${envName} → ${dotted}` };
  return { file: ctx.file, ...locate(ctx.doc, ctx.lineCounter, keys, atKey), path: dotted };
}

/** Turns zod's generic messages into phrases that read after the value. */
function reason(issue: core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required';
      return `is not ${TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return issue.inclusive ? `is below the minimum of ${issue.minimum}` : `must be greater than ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items`;
      return issue.inclusive ? `is above the maximum of ${issue.maximum}` : `must be less than ${issue.maximum}`;
    case 'invalid_value':
      return `is not one of ${issue.values.map((v) => String(v)).join(', ')}`;
    default:
      // custom refinements, invalid_union and invalid_format carry the schema's own message.
      return issue.message;
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping of settings',
  array: 'a list',
  boolean: 'a boolean (true or false)',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
};

function dottedPath(keys: readonly Key[]): string {
  return keys.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? key : `${acc}.${key}`), '');
}

function envOrigin(dotted: string, origins: ReadonlyMap<string, string>): string | undefined {
  for (const [path, name] of origins) if (dotted === path || dotted.startsWith(`${path}.`)) return name;
  return undefined;
}

function valueAt(root: unknown, keys: readonly Key[]): unknown {
  let node: unknown = root;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<Key, unknown>)[key];
  }
  return node;
}

/**
 * Line and column of a setting in the file: its key for an unknown key, else its value;
 * for a missing setting, the nearest section that exists.
 */
function locate(doc: Document, lineCounter: LineCounter, keys: readonly Key[], atKey: boolean): { line?: number; col?: number } {
  for (let depth = keys.length; depth >= 0; depth--) {
    const prefix = keys.slice(0, depth);
    let node: Node | null | undefined;
    if (atKey && depth === keys.length && depth > 0) {
      const parent = prefix.length === 1 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
      if (isMap(parent)) node = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === prefix[prefix.length - 1])?.key as Node | undefined;
    } else {
      node = depth === 0 ? doc.contents : (doc.getIn(prefix, true) as Node | undefined);
    }
    const offset = node?.range?.[0];
    if (offset !== undefined) {
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, col: pos.col };
    }
  }
  return {};
}

let defaultsCache: Config | undefined;

/** Keys a section accepts, read from a defaulted configuration (for "did you mean" hints). */
function knownKeys(keys: readonly Key[]): string[] {
  defaultsCache ??= configSchema.parse({ proxy: { url: 'http://127.0.0.1:6006', namespace: 'OPENIO' } });
  const section = valueAt(defaultsCache, keys);
  return typeof section === 'object' && section !== null && !Array.isArray(section) ? Object.keys(section) : [];
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'cannot read the configuration file: it does not exist (pass --config or set OIO_REPAIRD_CONFIG)';
  if (code === 'EACCES') return 'cannot read the configuration file: permission denied';
  if (code === 'EISDIR') return 'cannot read the configuration file: it is a directory';
  return `cannot read the configuration file: ${(err as Error).message}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
