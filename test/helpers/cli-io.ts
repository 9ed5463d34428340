// Runs a CLI command in the test process (src/cli/dispatch.ts main) with captured stdout and
// stderr, for tests of the one-shot commands that need no built binary and no child process.
import { Writable } from 'node:stream';
import { main } from '../../src/cli/dispatch.js';

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runInProcess(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<InProcessResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await main([...argv], { stdout: stdout.stream, stderr: stderr.stream, env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
