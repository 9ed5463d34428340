// The command list: each entry's module loads on demand, and its usage names the command the list
// files it under (name and summary live in commands.ts, usage and run in the module).
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.js';
import { runInProcess } from '../helpers/cli-io.js';

describe('the command list', () => {
  it('has distinct names', () => {
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  // Loading them all transforms most of src/ (vitest): slow on a busy machine, hence the time limit.
  it('loads each module, whose usage starts with the name it is listed under', { timeout: 90_000 }, async () => {
    const usages = await Promise.all(commands.map(async (c) => [c.name, (await c.load()).usage] as const));
    for (const [name, usage] of usages) expect(usage, name).toMatch(new RegExp(`^Usage: oio-repaird ${name}( |$)`));
  });

  it('--help lists every command with its summary', async () => {
    const help = await runInProcess(['--help']);
    expect(help.code).toBe(0);
    const lines = help.stdout.split('\n');
    for (const c of commands) expect(lines.find((l) => l.startsWith(`  ${c.name} `))?.endsWith(`  ${c.summary}`), c.name).toBe(true);
  });

  it('a command --help prints the usage of its module', async () => {
    const entry = commands.find((c) => c.name === 'check-config');
    const help = await runInProcess(['check-config', '--help']);
    expect(help).toEqual({ code: 0, stdout: `${(await entry!.load()).usage}\n`, stderr: '' });
  });
});
