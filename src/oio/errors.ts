// Every failure of a proxy or account-service call, as typed errors with a stable `code`
// and the context an operator needs to act: route, peer, HTTP status, oio status, message.
// Modelled on undici's lib/core/errors.js.

export interface OioErrorContext {
  /** Route without query string, e.g. `admin/get_properties`. */
  readonly route: string;
  // `| undefined`: a context is often built from another error's fields, which may be unset.
  readonly peer?: string | undefined;
  readonly httpStatus?: number | undefined;
  /** oio status code from the `{"status":C,"message":M}` body, when there is one. */
  readonly oioStatus?: number | undefined;
  readonly reqId?: string | undefined;
  readonly cause?: unknown;
}

export class OioError extends Error {
  readonly code: string = 'OIO_ERROR';
  readonly route: string;
  readonly peer: string | undefined;
  readonly httpStatus: number | undefined;
  readonly oioStatus: number | undefined;
  readonly reqId: string | undefined;

  constructor(message: string, ctx: OioErrorContext) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = new.target.name;
    this.route = ctx.route;
    this.peer = ctx.peer;
    this.httpStatus = ctx.httpStatus;
    this.oioStatus = ctx.oioStatus;
    this.reqId = ctx.reqId;
  }

  /** A plain object for logs and the journal. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      route: this.route,
      peer: this.peer,
      httpStatus: this.httpStatus,
      oioStatus: this.oioStatus,
      reqId: this.reqId,
    };
  }
}

/** The proxy answered with an error status and a `{"status","message"}` body. */
export class OioHttpError extends OioError {
  override readonly code: string = 'OIO_HTTP_ERROR';
}

/** 404 for an unknown container or account (oio 406 / 431 / 409). */
export class OioNotFoundError extends OioHttpError {
  override readonly code = 'OIO_NOT_FOUND';
}

/**
 * 404 with oio status 453 "Service type [T] not managed": the conscience knows no service of that
 * type (e.g. no account service registered). Permanent: the same answer comes on every call.
 */
export class OioServiceTypeUnknownError extends OioHttpError {
  override readonly code = 'OIO_SERVICE_TYPE_UNKNOWN';
}

/**
 * The proxy does not honour `service_id` (a 4.2.x/4.3.x proxy, oio-real-behaviour 37): per-peer
 * answers for peers not asked, a table for a service that is not a peer, `reference/show` without
 * `cid`. Nothing may be probed or repaired through it: a "sync of one slave" resyncs every slave.
 */
export class OioUnsupportedProxyError extends OioError {
  override readonly code = 'OIO_UNSUPPORTED_PROXY';
}

/** 503: the proxy (or the targeted peer through it) is unavailable; retry later. */
export class OioUnavailableError extends OioHttpError {
  override readonly code = 'OIO_UNAVAILABLE';
}

/** No TCP connection to the proxy / account service, or a peer the proxy could not reach. */
export class OioUnreachableError extends OioError {
  override readonly code = 'OIO_UNREACHABLE';
}

/** Connect, headers or body timeout, or a proxy-side deadline. */
export class OioTimeoutError extends OioError {
  override readonly code = 'OIO_TIMEOUT';
}

/**
 * A meta2 answered a native request (src/native/) with its own error status, in `oioStatus`:
 * 431 no base file, 511 not a database, 503/504 busy or deadline, 4xx a bad request.
 */
export class OioPeerStatusError extends OioError {
  override readonly code = 'OIO_PEER_STATUS';
}

/** The answer did not parse or had the wrong shape (malformed JSON, missing fields, too large). */
export class OioBadAnswerError extends OioError {
  override readonly code = 'OIO_BAD_ANSWER';
}

/**
 * The answer was larger than what its route can really be (answer-limits.ts): refused before it
 * is read whole, so a hostile or broken proxy cannot exhaust the daemon's heap.
 */
export class OioAnswerTooLargeError extends OioError {
  override readonly code = 'OIO_ANSWER_TOO_LARGE';
  /** The cap of this route, in bytes. */
  readonly limitBytes: number;

  constructor(message: string, ctx: OioErrorContext & { readonly limitBytes: number }) {
    super(message, ctx);
    this.limitBytes = ctx.limitBytes;
  }
}

export function isOioError(err: unknown): err is OioError {
  return err instanceof OioError;
}
