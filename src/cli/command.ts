// The shape of a CLI command and of the streams it writes to (injectable for tests), and
// println, through which every line the CLI prints goes: control characters escaped on the way.
import { escapeLines } from '../escape.js';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** What a command's module exports; its name and summary are in commands.ts. */
export interface Command {
  /** Full usage text printed by `--help` and after a usage error. */
  readonly usage: string;
  /** Resolves to the process exit code. Throws UsageError for bad arguments. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Writes text and a newline; a control character other than LF or TAB is escaped (escape.ts). */
export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${escapeLines(text)}\n`);
}
