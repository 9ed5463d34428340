#!/usr/bin/env node
// Entry point of the `oio-repaird` binary: runs the dispatcher on argv. No logic lives here.
// Exit codes: see cli/exit-codes.ts.
import { EX_SOFTWARE, main } from './cli/dispatch.js';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    // Never process.exit() here: long-running commands (run, sim) resolve only when they stop,
    // and letting the loop drain keeps the last log lines (pino on a pipe).
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = EX_SOFTWARE;
  },
);
