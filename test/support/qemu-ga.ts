import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { QgaClient, type ByteChannel } from './qga-client.js';

/** Where Debian's qemu-guest-agent installs the agent. */
export const QEMU_GA = '/usr/sbin/qemu-ga';

/** A socket as a ByteChannel. */
class SocketChannel extends EventEmitter implements ByteChannel {
  constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (d: Buffer) => this.emit('data', d));
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }
}

/** How long qemu-ga may take to listen on its socket (a loaded machine starts it slowly). */
const LISTEN_TIMEOUT_MS = 30_000;

/** Connects to a unix socket once, resolving with the socket or rejecting with the connect error. */
function connectOnce(path: string): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = connect(path, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Connects to qemu-ga's socket once it listens. qemu-ga binds the socket (the file appears) before
 * it listens, and starts slowly on a loaded machine: until then a connect fails with ENOENT or
 * ECONNREFUSED, and is tried again; any other error, qemu-ga's exit or the time limit ends the wait.
 */
async function connectWhenListening(path: string, child: ChildProcess): Promise<Socket> {
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  for (;;) {
    try {
      return await connectOnce(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw err;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`qemu-ga exited (${child.signalCode ?? `exit code ${child.exitCode}`}) before it listened`);
      if (Date.now() > deadline) throw new Error(`qemu-ga did not listen within ${LISTEN_TIMEOUT_MS} ms (${code})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A running qemu-ga and a client on its socket. */
export interface QemuGa {
  client: QgaClient;
  stop(): Promise<void>;
}

/**
 * Starts Debian's qemu-ga on a unix socket in `dir`, with its state, pid file and (empty) config
 * there, so that it touches nothing of the system's; `env` is added to its environment and `prefix`
 * (such as underSysfs) runs it.
 */
export async function startQemuGa(dir: string, env: NodeJS.ProcessEnv = {}, prefix: string[] = []): Promise<QemuGa> {
  const state = join(dir, 'state');
  mkdirSync(state, { recursive: true });
  writeFileSync(join(dir, 'qemu-ga.conf'), '');
  const socketPath = join(dir, 'qga.sock');
  const argv = [...prefix, QEMU_GA, '-m', 'unix-listen', '-p', socketPath, '-t', state, '-f', join(dir, 'qemu-ga.pid')];
  const child = spawn(argv[0] ?? QEMU_GA, argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, QGA_CONF: join(dir, 'qemu-ga.conf'), ...env },
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const exited = new Promise((r) => child.once('exit', r));
    // qemu-ga 7.2 sometimes deadlocks in its SIGTERM handler (threads stuck on a futex).
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  const socket = await connectWhenListening(socketPath, child).catch(async (err: Error) => {
    await stop();
    throw new Error(`cannot connect to qemu-ga: ${err.message}\n${log}`);
  });
  const client = new QgaClient(new SocketChannel(socket));
  await client.sync();
  return {
    client,
    async stop() {
      socket.destroy();
      await stop();
    },
  };
}
