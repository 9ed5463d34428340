#!/usr/bin/env node
// Entry point of the `oio-repaird` binary: runs the dispatcher on argv. No logic lives here.
// Exit codes: see cli/exit-codes.ts.
// Stop signals are held before the rest of the program is even loaded (a dynamic import), so a
// SIGTERM during start-up is a clean stop, not a death by signal (see cli/startup-signals.ts).
import { EX_SOFTWARE } from './cli/exit-codes.js';
import { holdStartupSignals } from './cli/startup-signals.js';

holdStartupSignals();

import('./cli/dispatch.js')
  .then(({ main }) => main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }))
  .then(
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
