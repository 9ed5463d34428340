// Every exit code of the `oio-repaird` binary, in one place (sysexits.h where one fits). main.ts,
// the dispatcher, each command and the README's table use these names; test/cli/exit-codes.test.ts
// checks that README documents each one. Add a code here, never as a bare number elsewhere.

/** Success: the command did what was asked; `check`: the container is healthy. */
export const EX_OK = 0;
/** `check`/`repair`: damage found, or the repair did not end healthy. */
export const EX_DAMAGED = 1;
/** `check`/`repair`: could not tell (proxy error, a replica not seen); `sim`: cannot listen. */
export const EX_ERROR = 2;
/** sysexits EX_USAGE: bad command line. */
export const EX_USAGE = 64;
/** sysexits EX_SOFTWARE: internal error; systemd restarts the daemon (Restart=on-failure). */
export const EX_SOFTWARE = 70;
/** sysexits EX_CANTCREAT: another oio-repaird holds the state directory's lock. */
export const EX_LOCKED = 73;
/** sysexits EX_PROTOCOL: the proxy does not honour `service_id` (4.2.x); never probe through it. */
export const EX_UNSUPPORTED_PROXY = 76;
/** sysexits EX_CONFIG: bad configuration (RestartPreventExitStatus=78). */
export const EX_CONFIG = 78;

/** The catalogue, for documentation checks: name → code. */
export const EXIT_CODES = {
  EX_OK, EX_DAMAGED, EX_ERROR, EX_USAGE, EX_SOFTWARE, EX_LOCKED, EX_UNSUPPORTED_PROXY, EX_CONFIG,
} as const;
