// Real ZooKeeper servers for the fleet tests: Debian's `zookeeper` package (.ci/test-tools.sh
// installs it), started as plain java processes on 127.0.0.1, free ports, throwaway data
// directories, stopped by PID (never as a service). A standalone server or a 3-node ensemble;
// a server can be stopped and started again on the same port and data (outage tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPorts } from './free-ports.js';
import { liveToolsRequired, loudSkip } from './live-tools.js';

const JARS = ['zookeeper.jar', 'zookeeper-jute.jar', 'slf4j-api.jar', 'slf4j-simple.jar'];
const JAVA_DIR = process.env['OIO_ZOOKEEPER_JARS'] ?? '/usr/share/java';

export type ZooKeeperTools = { readonly ok: true; readonly java: string; readonly classpath: string } | { readonly ok: false; readonly reason: string };

export function findZooKeeper(): ZooKeeperTools {
  const java = ['/usr/bin/java', process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin/java') : ''].find((p) => p && existsSync(p));
  const missing = JARS.filter((j) => !existsSync(join(JAVA_DIR, j)));
  if (!java || missing.length > 0) {
    return { ok: false, reason: `missing ${[...(java ? [] : ['java']), ...missing.map((j) => join(JAVA_DIR, j))].join(', ')} (run \`bash .ci/test-tools.sh\` as root: it installs Debian's zookeeper package)` };
  }
  return { ok: true, java, classpath: JARS.map((j) => join(JAVA_DIR, j)).join(':') };
}

/**
 * Whether the ZooKeeper tests can run here. Missing ZooKeeper skips them loudly, except in CI
 * (CI=true or OIO_REQUIRE_LIVE_TOOLS=1), where it fails them.
 */
export function zooKeeperOrSkip(what: string): ZooKeeperTools {
  const tools = findZooKeeper();
  if (!tools.ok) {
    if (liveToolsRequired()) throw new Error(`ZooKeeper is required in CI: ${tools.reason}`);
    loudSkip(what, tools.reason);
  }
  return tools;
}

/** Sends a four-letter word; resolves with the answer ('' when the server is not there). */
export function fourLetter(port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const socket = connect({ host: '127.0.0.1', port });
    const done = (): void => {
      socket.destroy();
      resolve(out);
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('connect', () => socket.write(word));
    socket.on('data', (d) => (out += d.toString('utf8')));
    socket.on('end', done);
    socket.on('error', done);
  });
}

interface NodeSpec {
  readonly id: number;
  readonly clientPort: number;
  readonly dir: string;
}

/** One ZooKeeper server process (standalone or ensemble member). */
export class ZooKeeperServer {
  private child: ChildProcess | undefined;
  output = '';

  constructor(private readonly tools: ZooKeeperTools & { ok: true }, readonly node: NodeSpec, private readonly peers: string[]) {}

  get port(): number {
    return this.node.clientPort;
  }

  /** The java process's pid (CPU figures of the benchmark), or undefined before start(). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async writeConfig(): Promise<string> {
    await mkdir(join(this.node.dir, 'data'), { recursive: true });
    const cfg = [
      'tickTime=500',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${join(this.node.dir, 'data')}`,
      `clientPort=${this.node.clientPort}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,ruok',
      'maxSessionTimeout=60000',
      ...this.peers,
    ].join('\n');
    if (this.peers.length > 0) await writeFile(join(this.node.dir, 'data', 'myid'), `${this.node.id}\n`);
    const file = join(this.node.dir, 'zoo.cfg');
    await writeFile(file, `${cfg}\n`);
    return file;
  }

  async start(): Promise<void> {
    const cfg = await this.writeConfig();
    const child = spawn(this.tools.java, ['-Xmx64m', '-cp', this.tools.classpath, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg], {
      cwd: this.node.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
  }

  /** Ready to take requests: `srvr` prints a Mode: line (ruok answers too early). */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) throw new Error(`zookeeper exited ${this.child.exitCode}:\n${this.output.slice(-3000)}`);
      if ((await fourLetter(this.port, 'srvr')).includes('Mode:')) return;
      if (Date.now() > deadline) throw new Error(`zookeeper on ${this.port} not ready within ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops the process (SIGKILL: an outage, not a clean shutdown); keeps its data. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGKILL');
    await closed;
  }
}

/** A standalone server or an ensemble; `connect` is its connection string. */
export class ZooKeeper {
  private constructor(readonly servers: ZooKeeperServer[], private readonly dir: string) {}

  get connect(): string {
    return this.servers.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  static async start(tools: ZooKeeperTools & { ok: true }, size = 1): Promise<ZooKeeper> {
    const dir = await mkdtemp(join(tmpdir(), 'oio-zk-'));
    const ports = await freeLoopbackPorts(size * 3);
    const peers = size === 1 ? [] : Array.from({ length: size }, (_, i) => `server.${i + 1}=127.0.0.1:${ports[size + i]}:${ports[2 * size + i]}`);
    const servers = Array.from({ length: size }, (_, i) => new ZooKeeperServer(tools, { id: i + 1, clientPort: ports[i] as number, dir: join(dir, `node${i + 1}`) }, peers));
    const zk = new ZooKeeper(servers, dir);
    try {
      for (const s of servers) await s.start();
      await Promise.all(servers.map((s) => s.waitReady()));
    } catch (err) {
      await zk.stop();
      throw err;
    }
    return zk;
  }

  /** Stops every server and removes the data. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }
}
