// Wire shapes the proxy uses: JSON error bodies `{"status":C,"message":M}`, the HTTP status
// and reason phrase each error maps to, and the per-peer envelope whose bodies are inserted
// verbatim (a debug body is raw JSON with `/` escaped as the C writer does; a has body is not).
import type { PeerId } from '../oio/types.js';

/** What a route answers, before the server writes it. */
export interface Reply {
  readonly status: number;
  /** Serialized body; absent for 204 and other bodiless answers. */
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Peers named in `x-backend-service-id` on error replies. */
  readonly backendPeers?: readonly PeerId[];
}

/** A route's failure: turned into `{"status":oioStatus,"message":message}` with `httpStatus`. */
export class SimHttpError extends Error {
  readonly code = 'SIM_HTTP_ERROR';
  constructor(
    readonly httpStatus: number,
    readonly oioStatus: number,
    message: string,
    readonly backendPeers: readonly PeerId[] = [],
  ) {
    super(message);
    this.name = 'SimHttpError';
  }
}

export const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  500: 'Internal error',
  503: 'Service unavailable',
};

export function jsonReply(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value) };
}

/** JSON with `/` escaped as `\/`, as the proxy's C JSON writer does. */
export function cJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

export function errorReply(err: SimHttpError): Reply {
  return {
    status: err.httpStatus,
    body: JSON.stringify({ status: err.oioStatus, message: err.message }),
    backendPeers: err.backendPeers,
  };
}

export function notFoundRoute(): SimHttpError {
  return new SimHttpError(404, 404, 'No handler found');
}

export function badRequest(message: string): SimHttpError {
  return new SimHttpError(400, 400, message);
}

/** One peer's answer inside a per-peer envelope; `bodyJson` is already serialized JSON. */
export interface PeerOutcome {
  readonly status: number;
  readonly message: string;
  readonly bodyJson: string;
}

export function peerOutcome(status: number, message: string, bodyJson = '""'): PeerOutcome {
  return { status, message, bodyJson };
}

/** `{"PEER":{"status":{"status":C,"message":M},"body":B},…}` in the given order. */
export function peerEnvelope(entries: ReadonlyArray<readonly [PeerId, PeerOutcome]>): string {
  const parts = entries.map(([peer, o]) =>
    `${JSON.stringify(peer)}:{"status":{"status":${o.status},"message":${JSON.stringify(o.message)}},"body":${o.bodyJson}}`);
  return `{${parts.join(',')}}`;
}

export function connectionRefused(peer: PeerId): string {
  return `${peer}: [errno=111] Connection refused`;
}
