// The local control channel: a UNIX socket `<state.dir>/control.sock`, mode 0600 in a directory
// only the service user can enter (StateDirectoryMode=0700), never a network endpoint. One JSON
// command per connection, one JSON reply: `{"op":"suspend","forMs":7200000,"reason":"…","by":"…"}`
// → `{"ok":true,"message":"…","state":{…}}` or `{"ok":false,"error":"…"}`. Requests are bounded
// (64 KiB, 5 s), so a stuck or hostile client cannot hold the daemon.
import { chmod, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { ControlCommand, ControlState } from './types.js';

export const CONTROL_SOCKET = 'control.sock';
/** sun_path holds 108 bytes on Linux, the NUL included. */
export const MAX_SOCKET_PATH_BYTES = 107;
const MAX_REQUEST_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 5000;

export function controlSocketPath(stateDir: string): string {
  return join(stateDir, CONTROL_SOCKET);
}

export type ControlReply =
  | { readonly ok: true; readonly message: string; readonly state: ControlState }
  | { readonly ok: false; readonly error: string };

const text = z.string().max(2000);
const commandSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('status') }),
  z.object({ op: z.literal('suspend'), forMs: z.number().int().positive(), reason: text.min(1), by: text.min(1) }),
  z.object({ op: z.literal('resume'), reason: text, by: text.min(1) }),
  z.object({ op: z.literal('breaker-reset'), reason: text, by: text.min(1) }),
]);

export function parseCommand(raw: string): ControlCommand {
  return commandSchema.parse(JSON.parse(raw)) as ControlCommand;
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listens on `path` (a stale socket file is removed first: the caller holds the state
 * directory's lock). The socket is created 0600 (umask held around the bind) and chmod-ed again.
 */
export async function listenControl(path: string, handle: (cmd: ControlCommand) => Promise<ControlReply>, log: Logger): Promise<ControlServer> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`the control socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes: choose a shorter state.dir`);
  }
  await rm(path, { force: true });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, handle, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o177);
    try {
      server.listen({ path, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  await chmod(path, 0o600);
  server.unref();
  return { path, close: () => closeServer(server, sockets, path) };
}

async function closeServer(server: Server, sockets: Set<Socket>, path: string): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(path, { force: true }).catch(() => undefined);
}

function serve(socket: Socket, handle: (cmd: ControlCommand) => Promise<ControlReply>, log: Logger): void {
  let buffered = '';
  let answered = false;
  let started = false;
  const reply = (r: ControlReply): void => {
    if (answered) return;
    answered = true;
    socket.end(`${JSON.stringify(r)}\n`);
  };
  socket.setEncoding('utf8');
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => {
    reply({ ok: false, error: 'no complete command within 5 s' });
    socket.destroy();
  });
  socket.on('error', (err) => log.debug({ err }, 'control connection error'));
  socket.on('data', (chunk: string) => {
    if (answered || started) return;
    buffered += chunk;
    if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES) return reply({ ok: false, error: 'command too large' });
    const nl = buffered.indexOf('\n');
    if (nl === -1) return;
    let cmd: ControlCommand;
    try {
      cmd = parseCommand(buffered.slice(0, nl));
    } catch (err) {
      return reply({ ok: false, error: `not a control command: ${errorMessage(err)}` });
    }
    started = true;
    handle(cmd).then(reply, (err: unknown) => reply({ ok: false, error: errorMessage(err) }));
  });
}

/** The daemon does not listen (no socket file, or nobody behind it). */
export class ControlUnreachableError extends Error {
  readonly code = 'REPAIRD_CONTROL_UNREACHABLE';
}

/** Sends one command and returns the daemon's reply. */
export function sendControl(path: string, cmd: ControlCommand, timeoutMs = 15_000): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the daemon did not answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(cmd)}\n`));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new ControlUnreachableError(`no daemon answers on ${path} (${err.code})`));
      else reject(err);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as ControlReply);
      } catch {
        reject(new Error(`the daemon's answer on ${path} is not JSON: ${JSON.stringify(data.slice(0, 200))}`));
      }
    });
  });
}
