// Shared helpers for the simulator's wire tests: a real HTTP call with undici and the
// parameters the daemon's client sends.
import { request } from 'undici';

export interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = unknown>(): T;
}

export async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: { query?: Record<string, string>; body?: string; headers?: Record<string, string> } = {},
): Promise<WireAnswer> {
  const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
  const res = await request(`${base}${path}${qs}`, {
    method,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

export interface Envelope {
  [peer: string]: { status: { status: number; message: string }; body: unknown };
}

export const waitFor = async (predicate: () => boolean, timeoutMs = 2000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};
