// Headless Chromium (Debian's `chromium`) driven over the DevTools protocol with undici's
// WebSocket: open a page, collect console errors and uncaught exceptions, read the rendered
// text, take a screenshot. Started on loopback with a throwaway profile, stopped by PID. No npm
// browser package: nothing is downloaded.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { stopChild } from './stop-child.js';

export function findChromium(): string | undefined {
  const candidates = [process.env['OIO_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

interface CdpMessage {
  readonly id?: number;
  readonly method?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly message: string };
  readonly sessionId?: string;
}

export interface PageVisit {
  /** Console errors, uncaught exceptions and failed loads, as text. */
  readonly errors: string[];
  /** document.body.innerText after the load event. */
  readonly text: string;
  /** The page's title. */
  readonly title: string;
  /** A PNG screenshot. */
  readonly screenshot: Buffer;
  /** Requests the page made, by URL (the page itself included). */
  readonly requests: string[];
}

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: CdpMessage) => void; reject: (e: Error) => void }>();
  private readonly listeners: Array<(m: CdpMessage) => void> = [];

  private constructor(private readonly child: ChildProcess, private readonly ws: WebSocket, private readonly profile: string) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as CdpMessage;
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message}`));
        else p?.resolve(msg);
      } else {
        for (const l of this.listeners) l(msg);
      }
    });
  }

  static async launch(bin: string, timeoutMs = 30_000): Promise<Chromium> {
    const profile = await mkdtemp(join(tmpdir(), 'oio-repaird-chromium-'));
    const child = spawn(bin, [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--no-default-browser-check', '--disable-extensions', '--disable-background-networking', '--disable-sync',
      '--window-size=1200,900', '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
      `--user-data-dir=${profile}`, 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium did not print its DevTools URL within ${timeoutMs} ms:\n${stderr.slice(-2000)}`)), timeoutMs);
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited ${code}:\n${stderr.slice(-2000)}`));
      });
    });
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
    return new Chromium(child, ws, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<CdpMessage> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** Opens `url` in a new tab, waits for its load event, and reports what a person would see. */
  async visit(url: string, timeoutMs = 20_000): Promise<PageVisit> {
    const target = await this.send('Target.createTarget', { url: 'about:blank' });
    const targetId = target.result?.['targetId'] as string;
    const attached = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const session = attached.result?.['sessionId'] as string;
    const errors: string[] = [];
    const requests: string[] = [];
    let loaded: () => void = () => undefined;
    const load = new Promise<void>((resolve) => (loaded = resolve));
    const listener = (m: CdpMessage): void => {
      if (m.sessionId !== session) return;
      const p = m.params ?? {};
      if (m.method === 'Page.loadEventFired') loaded();
      if (m.method === 'Runtime.consoleAPICalled' && (p['type'] === 'error' || p['type'] === 'assert')) errors.push(`console.${String(p['type'])}: ${JSON.stringify(p['args'])}`);
      if (m.method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify(p['exceptionDetails'])}`);
      if (m.method === 'Log.entryAdded') {
        const entry = p['entry'] as { level?: string; text?: string; url?: string } | undefined;
        if (entry?.level === 'error') errors.push(`log: ${entry.text ?? ''} ${entry.url ?? ''}`);
      }
      if (m.method === 'Network.requestWillBeSent') requests.push(String((p['request'] as { url?: string } | undefined)?.url));
      if (m.method === 'Network.loadingFailed') errors.push(`load failed: ${JSON.stringify(p)}`);
    };
    this.listeners.push(listener);
    try {
      for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await this.send(`${domain}.enable`, {}, session);
      await this.send('Page.navigate', { url }, session);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([load, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${url} did not load within ${timeoutMs} ms`)), timeoutMs)))]);
      clearTimeout(timer);
      const evaluate = async (expression: string): Promise<string> =>
        String(((await this.send('Runtime.evaluate', { expression, returnByValue: true }, session)).result?.['result'] as { value?: unknown } | undefined)?.value ?? '');
      const text = await evaluate('document.body.innerText');
      const title = await evaluate('document.title');
      const shot = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, session);
      return { errors, text, title, screenshot: Buffer.from(String(shot.result?.['data']), 'base64'), requests };
    } finally {
      this.listeners.splice(this.listeners.indexOf(listener), 1);
      await this.send('Target.closeTarget', { targetId }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.ws.close();
    await stopChild(this.child);
    await rm(this.profile, { recursive: true, force: true });
  }
}
