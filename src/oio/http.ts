// The one HTTP seam of src/oio/: an undici Pool (or an injected dispatcher) for ONE origin
// (the proxy or the account service), explicit timeouts, bounded bodies, retries for
// idempotent reads only, and every failure mapped to the typed errors of errors.ts.
// It knows nothing of routes' JSON shapes: parse.ts does that.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import { errorMessage } from '../errors.js';
import { answerCap, MAX_ANSWER_CAP } from './answer-limits.js';
import {
  OioAnswerTooLargeError,
  OioError,
  OioHttpError,
  OioNotFoundError,
  OioServiceTypeUnknownError,
  OioBadAnswerError,
  OioTimeoutError,
  OioUnavailableError,
  OioUnreachableError,
  type OioErrorContext,
} from './errors.js';
import { AbortFanout } from '../abort-fanout.js';
import { systemClock } from '../clock.js';
import { AnswerOverCap, Exchange, type ExchangeEnd } from './exchange.js';

/**
 * Called once per HTTP attempt; `httpStatus` is undefined when no answer came (refused, timeout),
 * `error` is the attempt's failure, if any (e.g. OIO_ANSWER_TOO_LARGE, counted by the daemon).
 */
export type RequestObserver = (route: string, httpStatus: number | undefined, seconds: number, error?: Error) => void;

export interface HttpClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:6006`; a path prefix, if any, is kept. */
  readonly url: string;
  /** Sockets to the origin (the per-origin concurrency cap). @default 8 */
  readonly connections?: number;
  /** TCP connect timeout. @default 2000 */
  readonly connectTimeoutMs?: number;
  /**
   * Wait for the answer's headers. The proxy is told (`x-oio-timeout`) to give up at 90% of
   * this, so it answers a typed 503 "Deadline reached" before undici gives up. @default 15000
   */
  readonly headersTimeoutMs?: number;
  /** Idle time allowed between body chunks. @default 15000 */
  readonly bodyTimeoutMs?: number;
  /**
   * Total time for one attempt, from the moment it is handed to the pool: connect, headers and
   * the WHOLE body. The idle timeouts above are reset by every byte, so a server dripping one
   * byte a second would hold a request forever without it. The default leaves each phase its own
   * timeout (a wait for a free socket eats into it). @default connect + headers + body timeouts
   */
  readonly deadlineMs?: number;
  /**
   * A cap above every route's own (answer-limits.ts): larger answers are refused
   * (OioAnswerTooLargeError) instead of exhausting memory. @default MAX_ANSWER_CAP (4 MiB)
   */
  readonly maxResponseBytes?: number;
  /** Extra attempts for idempotent reads (connection errors, 503). 0 disables. @default 2 */
  readonly retries?: number;
  /** First backoff step; doubles per attempt, full jitter. @default 100 */
  readonly retryBaseMs?: number;
  /** Cap of one backoff wait, Retry-After included. @default 2000 */
  readonly retryMaxDelayMs?: number;
  /** Metrics hook (proxy_request_duration_seconds, proxy_up). Must not throw; errors are swallowed. */
  readonly onRequest?: RequestObserver;
  /**
   * Use this dispatcher (an Agent shared by several clients, a MockAgent) instead of a Pool of
   * our own. Timeouts are still passed per request; close() leaves it open (its owner closes it).
   */
  readonly dispatcher?: Dispatcher;
}

/**
 * undici's Pool, loaded alone: undici's index also loads fetch, WebSocket, EventSource and the
 * cache (about 8 MiB of RSS in a daemon that uses none of them). The same class as undici's own
 * export (test/oio/http.test.ts checks it, so an upgrade that moves it fails there).
 */
export const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool;

export const HTTP_DEFAULTS = {
  connections: 8,
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 15_000,
  maxResponseBytes: MAX_ANSWER_CAP,
  retries: 2,
  retryBaseMs: 100,
  retryMaxDelayMs: 2_000,
} as const;

export type QueryValue = string | number | boolean | undefined;

export interface OioRequest {
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, e.g. `/v3.0/OPENIO/admin/has` (names never go here: use query). */
  readonly path: string;
  /** Encoded with URLSearchParams; undefined values are left out; insertion order kept. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. Undefined sends an empty body. */
  readonly body?: unknown;
  /** Fixed route name for errors and metrics (`admin/has`), never a container name. */
  readonly route: string;
  /** The peer this request is about, carried into errors. */
  readonly peer?: string;
  /** `x-oio-req-id`; one is generated when absent. */
  readonly reqId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** True only for reads: they may be retried. Mutating calls must pass false. */
  readonly idempotent: boolean;
  /** `json` (default) parses the answer, `text` leaves it as is. */
  readonly expect?: 'json' | 'text';
  /**
   * Send `x-oio-admin: 1`. Default false; each route of proxy-client.ts says why it does or does
   * not. Never on `admin/set_properties` (oio-real-behaviour 23: the write becomes local).
   */
  readonly adminHeader?: boolean;
}

export interface OioResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** Parsed body with `expect: 'json'`; undefined for an empty body (204) or `expect: 'text'`. */
  readonly json: unknown;
  readonly reqId: string;
}

type Attempt =
  | { readonly ok: true; readonly response: OioResponse }
  | { readonly ok: false; readonly error: Error; readonly retryable: boolean; readonly retryAfterMs?: number };

export class OioHttp {
  readonly origin: string;
  /** The `x-oio-timeout` value sent, in microseconds. */
  readonly oioTimeoutMicros: number;
  private readonly basePath: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly opts: Required<Omit<HttpClientOptions, 'onRequest' | 'dispatcher' | 'url'>>;
  private readonly onRequest: RequestObserver | undefined;
  private readonly oioTimeoutHeader: string;
  private readonly fanout = new AbortFanout();

  constructor(options: HttpClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RangeError(`unsupported URL protocol: ${options.url}`);
    }
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    const connectTimeoutMs = options.connectTimeoutMs ?? HTTP_DEFAULTS.connectTimeoutMs;
    const headersTimeoutMs = options.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs;
    const bodyTimeoutMs = options.bodyTimeoutMs ?? HTTP_DEFAULTS.bodyTimeoutMs;
    this.opts = {
      connections: options.connections ?? HTTP_DEFAULTS.connections,
      connectTimeoutMs,
      headersTimeoutMs,
      bodyTimeoutMs,
      deadlineMs: options.deadlineMs ?? connectTimeoutMs + headersTimeoutMs + bodyTimeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? HTTP_DEFAULTS.maxResponseBytes,
      retries: options.retries ?? HTTP_DEFAULTS.retries,
      retryBaseMs: options.retryBaseMs ?? HTTP_DEFAULTS.retryBaseMs,
      retryMaxDelayMs: options.retryMaxDelayMs ?? HTTP_DEFAULTS.retryMaxDelayMs,
    };
    this.oioTimeoutMicros = Math.floor(this.opts.headersTimeoutMs * 900);
    this.oioTimeoutHeader = String(this.oioTimeoutMicros);
    this.onRequest = options.onRequest;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Pool(this.origin, {
        connections: this.opts.connections,
        connect: { timeout: this.opts.connectTimeoutMs },
        headersTimeout: this.opts.headersTimeoutMs,
        bodyTimeout: this.opts.bodyTimeoutMs,
        keepAliveTimeout: 4_000,
        maxResponseSize: this.opts.maxResponseBytes,
      });
  }

  /**
   * Sends one request; resolves only with a 2xx answer, throws a typed OioError otherwise.
   * Retries are a short loop here rather than undici's retry interceptor: the interceptor turns
   * a non-retried 503 into RequestRetryError and retries before we can read the oio body, while
   * we need the body of every 503 (to tell "Deadline reached" from "unavailable"), one observer
   * call per attempt, and a per-route policy decided by the caller (`idempotent`).
   */
  request(req: OioRequest): Promise<OioResponse> {
    const reqId = req.reqId ?? randomUUID().replace(/-/g, '');
    const maxAttempts = req.idempotent ? 1 + Math.max(0, this.opts.retries) : 1;
    // One promise per request whatever its attempts (the hot path of every sweep).
    return new Promise((resolve, reject) => {
      const settle = (result: Attempt, attempt: number): void => {
        if (result.ok) {
          resolve(result.response);
          return;
        }
        if (!result.retryable || attempt >= maxAttempts || req.signal?.aborted) {
          reject(result.error);
          return;
        }
        systemClock.sleep(this.backoffMs(attempt, result.retryAfterMs), req.signal).then(
          () => {
            try {
              this.send(req, reqId, (next) => settle(next, attempt + 1));
            } catch (err) {
              reject(err);
            }
          },
          (abort: unknown) => {
            const failure = transportFailure(abort, { route: req.route, reqId }, req.signal);
            reject(failure.ok ? abort : failure.error);
          },
        );
      };
      this.send(req, reqId, (first) => settle(first, 1));
    });
  }

  /** Closes our own Pool (waits for running requests); an injected dispatcher is left alone. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private backoffMs(attempt: number, retryAfterMs: number | undefined): number {
    const ceiling = Math.min(this.opts.retryMaxDelayMs, this.opts.retryBaseMs * 2 ** (attempt - 1));
    const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
    return Math.min(this.opts.retryMaxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  /**
   * One attempt, observed by the metrics hook with the status it should see: a body that never
   * completed in time is no answer (proxy_up, readiness). The exchange (exchange.ts) is ended by
   * the total deadline or the caller's signal, whichever comes first.
   */
  private send(req: OioRequest, reqId: string, resolve: (attempt: Attempt) => void): void {
    const limit = Math.min(this.opts.maxResponseBytes, answerCap(req.route));
    const signal = req.signal;
    const started = systemClock.monotonic();
    let expired = false;
    const onAbort = (reason: unknown): void => exchange.stop(reason instanceof Error ? reason : new Error('aborted'));
    const exchange = new Exchange(limit, (end) => {
      clearTimeout(timer);
      if (signal !== undefined) this.fanout.delete(signal, onAbort);
      const { attempt, observed } = this.outcome(req, reqId, end, expired, limit);
      this.observe(req.route, observed, (systemClock.monotonic() - started) / 1000, attempt.ok ? undefined : attempt.error);
      resolve(attempt);
    });
    const timer = setTimeout(() => {
      expired = true;
      exchange.stop(new Error(`request deadline of ${this.opts.deadlineMs} ms reached`));
    }, this.opts.deadlineMs);
    if (signal !== undefined) {
      if (signal.aborted) {
        onAbort(signal.reason);
        return;
      }
      this.fanout.add(signal, onAbort);
    }
    this.dispatcher.dispatch({
      origin: this.origin,
      path: this.basePath + req.path + encodeQuery(req.query),
      method: req.method,
      headers: this.headers(req, reqId),
      body: req.body === undefined ? '' : JSON.stringify(req.body),
      headersTimeout: this.opts.headersTimeoutMs,
      bodyTimeout: this.opts.bodyTimeoutMs,
    }, exchange);
  }

  /** Maps how an exchange ended to an Attempt (typed errors) and the status the observer sees. */
  private outcome(req: OioRequest, reqId: string, end: ExchangeEnd, expired: boolean, limit: number): { attempt: Attempt; observed: number | undefined } {
    if (end.ok) {
      const httpStatus = end.statusCode;
      // The success path builds no error context: it is the path of nearly every request.
      if (httpStatus < 200 || httpStatus > 299) {
        return { attempt: statusFailure(httpStatus, end.headers, end.text, errorContext(req, reqId)), observed: httpStatus };
      }
      let json: unknown;
      if (req.expect !== 'text' && end.text !== '') {
        try {
          json = JSON.parse(end.text) as unknown;
        } catch (err) {
          const ctx = { ...errorContext(req, reqId), httpStatus };
          const error = new OioBadAnswerError(`${ctx.route}: answer is not valid JSON (${(err as Error).message})`, { ...ctx, cause: err });
          return { attempt: transportFailure(error, ctx, req.signal), observed: httpStatus };
        }
      }
      return { attempt: { ok: true, response: { statusCode: httpStatus, headers: end.headers, text: end.text, json, reqId } }, observed: httpStatus };
    }
    const ctx = errorContext(req, reqId);
    const err = end.error;
    const httpStatus = end.statusCode;
    const failedCtx = { ...ctx, ...(httpStatus === undefined ? {} : { httpStatus }) };
    if (expired) {
      const error = new OioTimeoutError(`${req.route}: no complete answer within ${this.opts.deadlineMs} ms (request deadline)`, { ...failedCtx, cause: err });
      return { attempt: { ok: false, error, retryable: false }, observed: undefined };
    }
    if (err instanceof AnswerOverCap) {
      const error = new OioAnswerTooLargeError(`${req.route}: answer of ${err.size} bytes is larger than this route's cap of ${limit} bytes`, { ...failedCtx, limitBytes: limit });
      return { attempt: { ok: false, error, retryable: false }, observed: httpStatus };
    }
    if (errorCode(err) === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      // Our Pool's maxResponseSize, the backstop behind the exchange's own count.
      const error = new OioAnswerTooLargeError(`${req.route}: answer larger than ${this.opts.maxResponseBytes} bytes`, { ...failedCtx, cause: err, limitBytes: limit });
      return { attempt: { ok: false, error, retryable: false }, observed: httpStatus };
    }
    const attempt = transportFailure(err, failedCtx, req.signal);
    const timedOut = !attempt.ok && attempt.error instanceof OioTimeoutError;
    return { attempt, observed: timedOut ? undefined : httpStatus };
  }

  private headers(req: OioRequest, reqId: string): Record<string, string> {
    const headers: Record<string, string> = {
      'x-oio-req-id': reqId,
      'x-oio-timeout': this.oioTimeoutHeader,
      accept: 'application/json',
    };
    if (req.adminHeader === true) headers['x-oio-admin'] = '1';
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    return headers;
  }

  private observe(route: string, httpStatus: number | undefined, seconds: number, error: Error | undefined): void {
    try {
      this.onRequest?.(route, httpStatus, seconds, error);
    } catch {
      // A metrics hook must never turn a good answer into a failure.
    }
  }
}

/**
 * What URLSearchParams writes (application/x-www-form-urlencoded: only ASCII letters, digits and
 * `*-._` left as they are, UTF-8 percent-encoded, lone surrogates as U+FFFD), except spaces as %20
 * rather than '+' (every decoder reads %20; a literal '+' is %2B). Written out because building a
 * URLSearchParams per request was a visible share of the client's CPU.
 */
export function encodeQuery(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (query === undefined) return '';
  let out = '';
  for (const name in query) {
    const value = query[name];
    if (value === undefined) continue;
    out += `${out === '' ? '?' : '&'}${formEncode(name)}=${formEncode(String(value))}`;
  }
  return out;
}

/** Characters encodeURIComponent leaves as they are but the form encoding escapes. */
const FORM_EXTRA = /[!'()~]/g;

/** Encoded values that needed escaping (service ids such as 10.0.0.1:6120 come back all the time). */
const encodedCache = new Map<string, string>();
const ENCODED_CACHE_SIZE = 1024;

function formEncode(text: string): string {
  if (SAFE.test(text)) return text;
  let encoded = encodedCache.get(text);
  if (encoded === undefined) {
    encoded = escapeForm(text);
    if (encodedCache.size >= ENCODED_CACHE_SIZE) encodedCache.clear();
    encodedCache.set(text, encoded);
  }
  return encoded;
}

function escapeForm(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    // A lone surrogate: URLSearchParams writes it as U+FFFD.
    return new URLSearchParams({ v: text }).toString().slice(2).replace(/\+/g, '%20');
  }
  return encoded.replace(FORM_EXTRA, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const SAFE = /^[A-Za-z0-9*._-]*$/;

/** What every error of a request names: its route, request id and peer. */
function errorContext(req: OioRequest, reqId: string): OioErrorContext {
  return { route: req.route, reqId, ...(req.peer === undefined ? {} : { peer: req.peer }) };
}

/** oio status of "Service type [T] not managed" (conscience/list of a type nobody registered). */
const OIO_SRVTYPE_NOT_MANAGED = 453;

/** The `{"status":C,"message":M}` of an error answer, when it has one. */
function oioErrorBody(text: string): { status?: number; message?: string } {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null) return {};
    const { status, message } = body as Record<string, unknown>;
    return {
      ...(typeof status === 'number' ? { status } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    };
  } catch {
    return {};
  }
}

function statusFailure(httpStatus: number, headers: IncomingHttpHeaders, text: string, base: OioErrorContext): Attempt {
  const body = oioErrorBody(text);
  const ctx: OioErrorContext = { ...base, httpStatus, ...(body.status === undefined ? {} : { oioStatus: body.status }) };
  const detail = body.message ?? (text.slice(0, 200) || 'no message');
  const message = `${base.route}: HTTP ${httpStatus}${body.status === undefined ? '' : ` (oio ${body.status})`}: ${detail}`;
  // 453 is not an unknown container or account but an unknown service type (a permanent answer).
  if (httpStatus === 404 && body.status === OIO_SRVTYPE_NOT_MANAGED) return { ok: false, error: new OioServiceTypeUnknownError(message, ctx), retryable: false };
  if (httpStatus === 404) return { ok: false, error: new OioNotFoundError(message, ctx), retryable: false };
  if (httpStatus === 503) {
    // The proxy's own deadline (x-oio-timeout): retrying would only wait as long again.
    if (detail.startsWith('Deadline reached')) {
      return { ok: false, error: new OioTimeoutError(message, ctx), retryable: false };
    }
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return {
      ok: false,
      error: new OioUnavailableError(message, ctx),
      // "No service replied": the proxy already tried the peer and got a refusal. Retrying costs
      // Retry-After (1 s) per attempt for every container on a dead meta2 service, which would
      // slow the whole sweep to that service's pace; the next sweep looks again.
      retryable: !detail.startsWith('No service replied'),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { ok: false, error: new OioHttpError(message, ctx), retryable: false };
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - systemClock.now());
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Maps an error thrown by undici (or by our own body checks) to an Attempt. */
function transportFailure(err: unknown, ctx: OioErrorContext, signal: AbortSignal | undefined): Attempt {
  if (err instanceof OioError) return { ok: false, error: err, retryable: false };
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    // AbortSignal.timeout() is a deadline; any other abort is the caller's cancellation, passed up as is.
    if (reason instanceof Error && reason.name === 'TimeoutError') {
      return { ok: false, error: new OioTimeoutError(`${ctx.route}: aborted by deadline`, { ...ctx, cause: reason }), retryable: false };
    }
    return { ok: false, error: reason instanceof Error ? reason : (err as Error), retryable: false };
  }
  const code = errorCode(err);
  const text = errorMessage(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return { ok: false, error: new OioTimeoutError(`${ctx.route}: ${text}`, { ...ctx, cause: err }), retryable: false };
  }
  if (ctx.httpStatus !== undefined) {
    // The socket broke after the headers came: a truncated answer, not a missing one.
    return { ok: false, error: new OioBadAnswerError(`${ctx.route}: answer truncated (${text})`, { ...ctx, cause: err }), retryable: false };
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return { ok: false, error: new OioUnreachableError(`${ctx.route}: ${code}: ${text}`, { ...ctx, cause: err }), retryable: true };
  }
  return { ok: false, error: new OioUnreachableError(`${ctx.route}: ${text}`, { ...ctx, cause: err }), retryable: false };
}

/** The `code` of an error, looking through AggregateError (dual-stack connect) and `cause`. */
function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, errors, cause } = err as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  return cause === undefined ? undefined : errorCode(cause);
}
