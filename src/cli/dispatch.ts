// The command dispatcher: picks the command and maps its result to an exit code.
// Exit codes: see exit-codes.ts.
import { commands } from './commands.js';
import { println, type CliIO } from './command.js';
import { EX_USAGE, UsageError } from './usage-error.js';
import { VERSION } from '../version.js';
import { releaseToDefault } from './startup-signals.js';

import { EX_SOFTWARE } from './exit-codes.js';

export { EX_SOFTWARE };

function mainUsage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: oio-repaird <command> [options]',
    '',
    'Probes every meta2 replica of OpenIO SDS containers and safely repairs damaged ones.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `oio-repaird <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  // Only `run` handles the stop signals held since start-up; the others get Node's default back.
  if (name !== 'run') releaseToDefault();
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    println(name === undefined ? io.stderr : io.stdout, mainUsage());
    return name === undefined ? EX_USAGE : 0;
  }
  if (name === '--version' || name === '-v') {
    println(io.stdout, VERSION);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    println(io.stderr, `oio-repaird: unknown command ${JSON.stringify(name)}\n\n${mainUsage()}`);
    return EX_USAGE;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    println(io.stdout, command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      println(io.stderr, `oio-repaird ${entry.name}: ${err.message}\n\n${command.usage}`);
      return EX_USAGE;
    }
    println(io.stderr, `oio-repaird ${entry.name}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EX_SOFTWARE;
  }
}

