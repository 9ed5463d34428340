// What a SIGHUP does with a new configuration, read from the schema's reloadable() marks: which
// changed settings are applied now and which wait for a restart (the daemon keeps their running
// values). Pure functions over two Configs, so the decision is a table test and the log line
// the daemon writes is the whole truth about a reload.
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { isReloadable, settingsSchema, type Config } from './schema.js';

export type OnReload = 'applied' | 'restart';

/** Every setting (dotted path, sections walked down to their leaves) and what SIGHUP does with it. */
export const SETTINGS_ON_RELOAD: ReadonlyMap<string, OnReload> = new Map(walk(settingsSchema, [], false));

export interface ReloadDiff {
  /** Changed settings the reload applies (from the next sweep; log level and repair policy at once). */
  readonly applied: readonly string[];
  /** Changed settings that keep their running value until the daemon restarts. */
  readonly restartNeeded: readonly string[];
}

/** The settings whose value differs, split by what the reload does with them (schema order). */
export function diffSettings(running: Config, next: Config): ReloadDiff {
  const applied: string[] = [];
  const restartNeeded: string[] = [];
  for (const [path, onReload] of SETTINGS_ON_RELOAD) {
    if (isDeepStrictEqual(valueAt(running, path), valueAt(next, path))) continue;
    (onReload === 'applied' ? applied : restartNeeded).push(path);
  }
  return { applied, restartNeeded };
}

/** `next` with the running value of every setting that waits for a restart: what the daemon runs with after the reload. */
export function configAfterReload(running: Config, next: Config): Config {
  const result = structuredClone(next);
  for (const [path, onReload] of SETTINGS_ON_RELOAD) {
    if (onReload === 'restart') setAt(result, path, structuredClone(valueAt(running, path)));
  }
  return result;
}

/** One line for the log: `applied: a, b; waiting for a restart: c` (or "nothing changed"). */
export function describeReload(diff: ReloadDiff): string {
  if (diff.applied.length === 0 && diff.restartNeeded.length === 0) return 'nothing changed';
  const list = (paths: readonly string[]): string => (paths.length === 0 ? 'none' : paths.join(', '));
  return `applied: ${list(diff.applied)}; waiting for a restart: ${list(diff.restartNeeded)}`;
}

/** Leaves of the settings object; a reloadable() mark on a node covers everything under it. */
function walk(schema: z.ZodType, path: readonly string[], marked: boolean): [string, OnReload][] {
  let node: z.ZodType = schema;
  let reload = marked || isReloadable(node);
  let absentable = false;
  for (let inner = wrapped(node); inner !== undefined; inner = wrapped(node)) {
    absentable ||= (node._zod.def as { type: string }).type === 'nullable';
    node = inner;
    reload ||= isReloadable(node);
  }
  const def = node._zod.def as { type: string; shape?: Record<string, z.ZodType> };
  // A section that may be absent (null, e.g. fleet) is one setting: present or not, as a whole.
  if (def.type === 'object' && def.shape !== undefined && !absentable) {
    return Object.entries(def.shape).flatMap(([key, child]) => walk(child, [...path, key], reload));
  }
  return [[path.join('.'), reload ? 'applied' : 'restart']];
}

/** The schema inside a default, prefault, optional, nullable or pipe, if `schema` is one of those. */
function wrapped(schema: z.ZodType): z.ZodType | undefined {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
  if (def.type === 'pipe') return def.in;
  return ['default', 'prefault', 'optional', 'nullable'].includes(def.type) ? def.innerType : undefined;
}

function valueAt(config: Config, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

function setAt(config: Config, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = config as unknown as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1] as string] = value;
}
