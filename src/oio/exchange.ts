// One HTTP request/answer through undici's dispatch API, collected into a string: the hot path
// of every proxy call. It replaces `dispatcher.request()` + a body stream + an AbortSignal per
// request (the client's own CPU per request, BENCHMARKS.md), with the same guarantees: the
// answer's size is capped as it arrives, and the exchange can be ended at any moment (deadline,
// caller's abort) even while it still waits in the pool's queue.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** How an exchange ended. `statusCode` is set once headers came, even when the body then failed. */
export type ExchangeEnd =
  | { readonly ok: true; readonly statusCode: number; readonly headers: IncomingHttpHeaders; readonly text: string }
  | { readonly ok: false; readonly error: unknown; readonly statusCode: number | undefined };

/** Thrown into the exchange when an answer goes over the cap: `size` as announced, or "more than N". */
export class AnswerOverCap extends Error {
  readonly code = 'OIO_ANSWER_OVER_CAP';
  constructor(readonly size: string) {
    super(`answer of ${size} bytes is over the cap`);
  }
}

export class Exchange implements Dispatcher.DispatchHandler {
  private statusCode: number | undefined;
  private headers: IncomingHttpHeaders = {};
  private first: Buffer | undefined;
  private rest: Buffer[] | undefined;
  private size = 0;
  private controller: Dispatcher.DispatchController | undefined;
  private ended = false;
  private stopReason: Error | undefined;

  /**
   * @param limit largest body accepted, in bytes
   * @param done called exactly once, with how the exchange ended
   */
  constructor(
    private readonly limit: number,
    private readonly done: (end: ExchangeEnd) => void,
  ) {}

  /**
   * Ends the exchange now with `error` (deadline, caller's abort): `done` is called at once, and
   * undici aborts the request as soon as it holds it (at once if it is on a socket).
   */
  stop(error: Error): void {
    if (this.ended) return;
    this.stopReason = error;
    const controller = this.controller;
    this.finish({ ok: false, error, statusCode: this.statusCode });
    controller?.abort(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.stopReason !== undefined) controller.abort(this.stopReason);
    else this.controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    this.statusCode = statusCode;
    this.headers = headers;
    const announced = Number(headers['content-length']);
    if (announced > this.limit) this.overCap(controller, String(announced));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.overCap(controller, `more than ${this.limit}`);
      return;
    }
    if (this.first === undefined) this.first = chunk;
    else (this.rest ??= []).push(chunk);
  }

  onResponseEnd(): void {
    const body = this.first === undefined ? '' : this.rest === undefined ? this.first.toString('utf8') : Buffer.concat([this.first, ...this.rest]).toString('utf8');
    this.first = undefined;
    this.rest = undefined;
    this.finish({ ok: true, statusCode: this.statusCode ?? 0, headers: this.headers, text: body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.finish({ ok: false, error, statusCode: this.statusCode });
  }

  private overCap(controller: Dispatcher.DispatchController, size: string): void {
    const error = new AnswerOverCap(size);
    this.first = undefined;
    this.rest = undefined;
    this.finish({ ok: false, error, statusCode: this.statusCode });
    controller.abort(error);
  }

  private finish(end: ExchangeEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.controller = undefined;
    this.done(end);
  }
}
