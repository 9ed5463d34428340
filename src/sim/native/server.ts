// The simulated meta2 services' native ports: one TCP listener per service, bound to the
// service's own address (its id, `127.0.0.1:PORT`, as meta1 registers it), so a client reaches
// a replica exactly as it would a real one. Frames are cut and decoded with the client's codec;
// a frame that is not a Message closes the connection without a reply, as a real meta2 does.
// The services' faults apply: down resets the connection, slow delays, error-burst answers 503,
// malformed-json sends a reply that does not decode.
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PeerId } from '../../oio/types.js';
import { decodeMessage, encodeMessage, type NativeMessage } from '../../native/der.js';
import { FrameReader, frame } from '../../native/frame.js';
import { parsePeerAddress } from '../../native/address.js';
import type { SimContext } from '../routes/context.js';
import { answerNative, type SimNativeReply } from './answers.js';

/** The sim refuses larger requests by closing (a real meta2's cap is 1 GiB; ours never need 64 KiB). */
const MAX_REQUEST_BYTES = 1 << 20;

function encodeReply(request: NativeMessage, r: SimNativeReply): Buffer {
  return encodeMessage({
    ...(request.id === undefined ? {} : { id: request.id }),
    name: 'RP',
    params: [{ name: 'S', value: Buffer.from(String(r.status)) }, { name: 'MSG', value: Buffer.from(r.message) }],
    ...(r.body === undefined ? {} : { body: Buffer.from(r.body, 'utf8') }),
  });
}

function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

export class SimNativeServices {
  private readonly servers = new Map<PeerId, Server>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly ctx: SimContext) {}

  /** Listens on every service's own address; rejects (closing what was opened) if one is not free. */
  async start(services: readonly PeerId[]): Promise<void> {
    try {
      for (const peer of services) await this.listen(peer);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Service id → the address its native port listens on (the id itself). */
  addresses(): Record<PeerId, string> {
    return Object.fromEntries([...this.servers.keys()].map((p) => [p, p]));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.clear();
  }

  private listen(peer: PeerId): Promise<void> {
    const address = parsePeerAddress(peer);
    if (!address || !isLoopback(address.host)) {
      return Promise.reject(new Error(`native listener: service id ${JSON.stringify(peer)} is not a loopback IP:PORT`));
    }
    const server = createServer((socket) => this.serve(peer, socket));
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(`native listener for ${peer}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`));
      });
      server.listen(address.port, address.host, () => {
        this.servers.set(peer, server);
        resolve();
      });
    });
  }

  private serve(peer: PeerId, socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    if (this.ctx.ns.serviceFaults.get(peer)?.down) {
      socket.resetAndDestroy();
      return;
    }
    const reader = new FrameReader(MAX_REQUEST_BYTES);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const der of frames) {
        let request: NativeMessage;
        try {
          request = decodeMessage(der);
        } catch {
          // meta2 log `ASN.1 decoder error`: the connection is closed, nothing is answered.
          socket.destroy();
          return;
        }
        // One request at a time per connection: replies leave in the order requests came.
        queue = queue.then(() => this.handle(peer, socket, request));
      }
    });
  }

  private async handle(peer: PeerId, socket: Socket, request: NativeMessage): Promise<void> {
    if (socket.destroyed) return;
    const faults = this.ctx.ns.serviceFaults.get(peer);
    if (faults?.down) {
      socket.resetAndDestroy();
      return;
    }
    const stats = this.ctx.stats;
    stats.requestStarted(`native/${request.name ?? '?'}`);
    stats.touch(peer);
    let status = 500;
    try {
      if (faults && faults.slowMs > 0) await sleep(faults.slowMs);
      if (socket.destroyed) return;
      let answer: SimNativeReply;
      if (faults && faults.errorBurst > 0) {
        faults.errorBurst--;
        answer = { status: 503, message: 'Service unavailable' };
      } else {
        answer = answerNative(this.ctx, peer, request);
      }
      status = answer.status;
      let der = encodeReply(request, answer);
      if (faults && faults.malformedJson > 0) {
        faults.malformedJson--;
        der = der.subarray(0, Math.max(1, der.length >> 1));
      }
      socket.write(frame(der));
    } finally {
      stats.release(peer);
      stats.requestEnded(status);
    }
  }
}
