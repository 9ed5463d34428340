import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES } from '../../src/config/env.js';
import { formatIssues } from '../../src/config/errors.js';
import { loadConfig, parseConfigText } from '../../src/config/load.js';

const REFERENCE = fileURLToPath(new URL('../../config/oio-repaird.yaml', import.meta.url));

/** Dotted paths of every setting (arrays count as one setting). */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

describe('config/oio-repaird.yaml (the reference configuration)', () => {
  it('loads without any issue', async () => {
    const result = await loadConfig(REFERENCE, {});
    if (!result.ok) throw new Error(formatIssues(result.errors));
    expect(result.source).toBe(REFERENCE);
  });

  it('states exactly the defaults a minimal file gets', async () => {
    const result = await loadConfig(REFERENCE, {});
    const minimal = parseConfigText('proxy: { url: http://127.0.0.1:6006, namespace: OPENIO }\n', 'min.yaml', {});
    expect(result.ok && minimal.ok).toBe(true);
    if (result.ok && minimal.ok) expect(result.config).toEqual(minimal.config);
  });

  it('writes out every setting the schema knows', async () => {
    const doc = parseDocument(await readFile(REFERENCE, 'utf8'));
    const minimal = parseConfigText('proxy: { url: http://127.0.0.1:6006, namespace: OPENIO }\n', 'min.yaml', {});
    if (!minimal.ok) throw new Error('minimal config refused');
    const missing = leafPaths(minimal.config).filter((path) => !doc.hasIn(path)).map((p) => p.join('.'));
    expect(missing).toEqual([]);
  });

  it('documents every environment override', async () => {
    const text = await readFile(REFERENCE, 'utf8');
    for (const override of [{ name: 'OIO_REPAIRD_CONFIG' }, ...ENV_OVERRIDES]) expect(text).toContain(override.name);
  });
});
