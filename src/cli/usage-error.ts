// Bad command-line input. main.ts prints the message and the command's usage, and exits 64
// (EX_USAGE, sysexits.h) so scripts can tell a typo from a damaged container (1) or an error (2).

export { EX_USAGE } from './exit-codes.js';

export class UsageError extends Error {
  readonly code = 'REPAIRD_USAGE';
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}
