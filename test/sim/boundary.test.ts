// The simulator's boundary, read from the import statements of the source files: the daemon never
// depends on the simulator (only the `sim` and `demo` commands start it; tests and bench are not
// checked), and the simulator depends on the daemon's code only through the shared vocabulary:
// the oio types and CIDs, and the native protocol's wire format (DER codec, framing, service
// address), which the simulator must speak byte for byte as the client does.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Files outside src/sim/ allowed to import from it. */
const SIM_IMPORTERS = ['src/cli/sim.ts', 'src/cli/demo.ts'];

/** Files outside src/sim/ that src/sim/ may import. */
const SIM_MAY_IMPORT = [
  'src/oio/types.ts',
  'src/oio/cid.ts',
  // The native wire format: the simulator's native listener answers in the bytes the client reads.
  'src/native/der.ts',
  'src/native/frame.ts',
  'src/native/address.ts',
];

/** Every module specifier in a source text: static imports and re-exports, side-effect and dynamic imports. */
function importedSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const pattern of [
    /\b(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const m of code.matchAll(pattern)) found.push(m[1] as string);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The repository paths of the project files `file` imports (`.js` specifiers name `.ts` sources). */
function projectImports(file: string): string[] {
  return importedSpecifiers(readFileSync(join(ROOT, file), 'utf8'))
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts'));
}

const inSim = (path: string): boolean => path.startsWith('src/sim/');

describe('the import parser', () => {
  it.each([
    ["import { a } from './a.js';", ['./a.js']],
    ["import type { A } from '../oio/types.js';", ['../oio/types.js']],
    ["import {\n  a,\n  b,\n} from './multi.js';", ['./multi.js']],
    ["import * as ns from \"./ns.js\";", ['./ns.js']],
    ["export { a } from './re.js';\nexport * from './all.js';", ['./re.js', './all.js']],
    ["import './side-effect.js';", ['./side-effect.js']],
    ["const m = await import('./lazy.js');", ['./lazy.js']],
    ["// import { a } from './commented.js';\n/* import b from './block.js'; */", []],
    ["const text = 'imports nothing';", []],
  ])('finds the specifiers of %j', (source, expected) => {
    expect(importedSpecifiers(source)).toEqual(expected);
  });
});

describe('the simulator boundary', () => {
  const src = sourceFiles('src');

  it('has files on both sides to check', () => {
    expect(src.filter(inSim).length).toBeGreaterThan(10);
    expect(src.filter((f) => !inSim(f)).length).toBeGreaterThan(10);
  });

  it('nothing outside src/sim/ imports it but the sim and demo commands', () => {
    const importers = src.filter((f) => !inSim(f) && projectImports(f).some(inSim));
    expect(importers.sort()).toEqual([...SIM_IMPORTERS].sort());
  });

  it('src/sim/ imports nothing of the daemon but the oio types, CIDs and the native wire format', () => {
    const outside = src.filter(inSim).flatMap((f) => projectImports(f).filter((p) => !inSim(p)).map((p) => `${f} -> ${p}`));
    expect(outside.filter((edge) => !SIM_MAY_IMPORT.some((allowed) => edge.endsWith(` -> ${allowed}`)))).toEqual([]);
  });
});
