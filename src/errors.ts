// The one catalogue of error codes (the `code` of every typed error, and of the `error` a report
// or a sweep summary carries), and the one way to turn anything thrown into text or into such a
// `{ code, message }`. README's "Error codes" table is checked against this catalogue, and a test
// checks that every code written in src/ is in it. Error codes name a failure; reason codes
// (src/decisions/codes.ts) name a decision. The error classes stay beside the code that throws them.
import { OioError } from './oio/errors.js';

export const ERROR_CODES = {
  // The proxy, the account service and the meta2 services (src/oio/errors.ts, src/native/).
  OIO_ERROR: 'a proxy or account-service call failed (the base of every OIO_ code)',
  OIO_HTTP_ERROR: 'the proxy answered with an error status and an oio `{"status","message"}` body',
  OIO_NOT_FOUND: 'HTTP 404: unknown container or account (oio 406, 431 or 409)',
  OIO_SERVICE_TYPE_UNKNOWN: 'HTTP 404, oio 453: the conscience manages no service of that type',
  OIO_NO_ACCOUNT_SERVICE: 'no account service to enumerate from (none registered and no `account.url`)',
  OIO_UNSUPPORTED_PROXY: 'the proxy does not honour `service_id` (4.2.x/4.3.x): nothing is probed or repaired through it',
  OIO_UNAVAILABLE: 'HTTP 503: the proxy, or the peer through it, is unavailable; retried later',
  OIO_UNREACHABLE: 'no TCP connection to the proxy, the account service or a meta2, or a peer the proxy could not reach',
  OIO_TIMEOUT: 'a connect, headers or body timeout, or a proxy-side deadline',
  OIO_PEER_STATUS: 'a meta2 answered a native request with its own error status (`oioStatus`)',
  OIO_BAD_ANSWER: 'the answer did not parse or had the wrong shape (malformed JSON, missing fields, truncated)',
  OIO_ANSWER_TOO_LARGE: 'the answer was larger than its route can really be: refused before it was read whole',
  OIO_ANSWER_OVER_CAP: 'internal to the HTTP exchange: an answer crossed its cap (becomes OIO_ANSWER_TOO_LARGE)',
  NATIVE_BAD_FRAME: 'a meta2 native frame declared a length of zero or above the cap',
  NATIVE_BAD_MESSAGE: 'a meta2 native frame is not a valid message',

  // The daemon and its command line.
  REPAIRD_CONFIG: 'the configuration file or an environment override is invalid',
  REPAIRD_USAGE: 'bad command-line input (exit 64)',
  REPAIRD_BAD_SCHEDULE: 'a cron expression of the schedule is refused',
  REPAIRD_STATE_LOCKED: 'another process holds the state directory\'s lock',
  REPAIRD_HTTP_LISTEN: 'the metrics listener could not listen on its address',
  REPAIRD_JOURNAL_OPEN: 'the journal file could not be opened or its end read',
  REPAIRD_JOURNAL_WRITE: 'a journal entry could not be durably written',
  REPAIRD_JOURNAL_READ: 'the journal (or its rotated files) could not be read',
  REPAIRD_JOURNAL_MISSING: 'the journal file does not exist',
  REPAIRD_JOURNAL_CLOSED: 'an append after the journal was closed (at shutdown)',
  REPAIRD_HELD_BY_CONTROL: 'an operator control (breaker, suspension, blackout) holds repairs back: nothing more is sent',
  REPAIRD_CONTROL_UNREACHABLE: 'no daemon listens on the control socket',
  REPAIRD_CONTROL_REFUSED: 'the daemon refused a control command',
  REPAIRD_STALLED_SKIPPED: 'the container stalled sweep after sweep: not probed this sweep',

  // Fleet mode (src/fleet/).
  FLEET_FENCED: 'the fleet session is not safe (ZooKeeper lost): no mutating request is sent',
  FLEET_LOCK_HELD: 'another fleet member holds the container\'s lock: it is repairing it',
  FLEET_BUDGET_SPENT: 'the fleet\'s shared repair budget is spent',
  ZK_NO_NODE: 'ZooKeeper: the node does not exist',
  ZK_NODE_EXISTS: 'ZooKeeper: the node already exists',
  ZK_BAD_VERSION: 'ZooKeeper: the node changed since it was read (a lost compare-and-set)',
  ZK_NOT_EMPTY: 'ZooKeeper: the node has children',
  ZK_CONNECTION_LOSS: 'ZooKeeper: the connection was lost during the call',
  ZK_SESSION_EXPIRED: 'ZooKeeper: the session expired',
  ZK_TIMEOUT: 'ZooKeeper: the call did not end within its bound',
  ZK_ERROR: 'ZooKeeper: any other failure of a call',

  // The simulator (src/sim/).
  SIM_BAD_SCENARIO: 'the simulator\'s scenario is invalid',
  SIM_BAD_FAULT: 'a fault given to the simulator is invalid',
  SIM_HTTP_ERROR: 'a simulated route failed (it answers with an oio error status)',

  // Anything thrown without a code of its own (errorInfo below).
  ABORTED: 'the call was aborted (shutdown, or the sweep was stopped)',
  INTERNAL: 'an error without a code of its own: a bug, to report',
  UNKNOWN: 'something thrown that is not an Error at all: a bug, to report',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ALL_ERROR_CODES: readonly ErrorCode[] = Object.keys(ERROR_CODES) as ErrorCode[];

/**
 * The failure as the journal, the reports and the sweep summary carry it: an error's own string
 * `code` (our typed errors, Node's `ECONNRESET`…), else ABORTED for an abort, INTERNAL for any
 * other Error, UNKNOWN for a thrown non-Error.
 */
export function errorInfo(err: unknown): { code: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return { code, message: err.message };
    return { code: err.name === 'AbortError' ? 'ABORTED' : 'INTERNAL', message: err.message };
  }
  return { code: 'UNKNOWN', message: String(err) };
}

/** An error's message, or a thrown non-Error as a string: for lines a human reads. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * errorMessage, prefixed with the code of a proxy or meta2 failure (`OIO_TIMEOUT: …`): what the
 * replica details and repair reasons say, as that code is what an operator acts on.
 */
export function errorText(err: unknown): string {
  if (err instanceof OioError) return `${err.code}: ${err.message}`;
  return errorMessage(err);
}
