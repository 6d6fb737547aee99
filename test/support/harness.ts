import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DesktopState } from '../../src/desktop/state.js';
import { Daemon } from '../../src/daemon/spice-daemon.js';
import { loadActions } from '../../src/actions/actions-d.js';
import { createLogger } from '../../src/log/logger.js';
import { winstonWriter } from '../../src/log/winston-writer.js';
import { ClientSimulator, type SimulatorOptions } from '../../src/sim/simulator.js';
import { CharDevicePort } from '../../src/transport/chardev-port.js';
import { createMemoryPortPair } from '../../src/transport/memory-port.js';
import { openPtyPair, type PtyPair } from '../../src/transport/pty.js';
import { UnixSocketPort } from '../../src/transport/unix-socket-port.js';
import type { Port } from '../../src/transport/port.js';
import { NODE_FLAGS } from '../../src/session/helper.js';
import { rssOf } from './proc.js';

/** The repository root: the nearest folder above this file with a package.json (also from build/). */
export const ROOT = ((): string => {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(`${dir}package.json`)) dir = fileURLToPath(new URL('..', `file://${dir}`));
  return dir;
})();
/** The built CLI the pty harness runs (npm test builds it first). */
export const CLI = `${ROOT}dist/cli.js`;
/** The vendor actions.d of the repository. */
export const VENDOR_ACTIONS = `${ROOT}actions.d`;

/** A daemon under test with the client simulator on the host side of its port. */
export interface Harness {
  /** The simulated spice-gtk client and spice-server. */
  sim: ClientSimulator;
  /** The daemon's process id. */
  pid: number;
  /** The daemon's resident set size in bytes. */
  rss: () => number;
  /** Everything the daemon logged so far. */
  logs(): string;
  /** The pty master's non-blocking descriptor, to write as a raw host (pty harness only). */
  hostFd?: number;
  /** The host's side of the port the simulator reads (pause it to play a host that stops reading). */
  hostPort?: Port;
  /** Stops the daemon and releases the port. */
  stop(): Promise<void>;
}

/** How to start a harness. */
export interface HarnessOptions {
  actionsDirs?: string[];
  sim?: SimulatorOptions;
  debug?: boolean;
  /** More `vdagent daemon` arguments (pty harness only), e.g. `--fake-uinput FILE`. */
  extraArgs?: string[];
  /** `--session` of the daemon (pty harness only; default none). */
  session?: string;
  /** The daemon's SPICE port is a UNIX socket the harness listens on, not a pty (pty harness only): no tty in the way. */
  socketPort?: boolean;
  /** Environment added to the daemon's (pty harness only). */
  env?: NodeJS.ProcessEnv;
  /** A command the daemon runs under, with its arguments (pty harness only), e.g. `unshare …`; it must exec the rest. */
  prefix?: string[];
  /** The program's entry script (pty harness only; default {@link CLI}), e.g. the bundle the package ships. */
  cli?: string;
  /** The Node binary the daemon (and so its helper) runs on (pty harness only; default this process's). */
  node?: string;
}

/** Starts a harness of some kind. */
export type HarnessFactory = (options?: HarnessOptions) => Promise<Harness>;

/** The real daemon process (with the Node flags its launcher passes) on a real pty pair made here; the simulator talks on the master. */
export const startPtyHarness: HarnessFactory = async (options = {}) => {
  const host = options.socketPort ? await listenForAgent() : undefined;
  const pty = host ? undefined : openPtyPair();
  const portPath = host?.path ?? (pty as PtyPair).slavePath;
  // Mouse events go nowhere unless a test asks: a root test run must not create a real tablet.
  const args = [...NODE_FLAGS, options.cli ?? CLI, 'daemon', '--port', portPath, '--qga-port', 'none', '--session', options.session ?? 'none', '--fake-uinput', '/dev/null'];
  for (const dir of options.actionsDirs ?? [VENDOR_ACTIONS]) args.push('--actions-dir', dir);
  if (options.debug) args.push('--debug');
  args.push(...(options.extraArgs ?? []));
  const [file, ...before] = [...(options.prefix ?? []), options.node ?? process.execPath];
  const child: ChildProcess = spawn(file, [...before, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JOURNAL_STREAM: undefined, ...options.env } });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const port = host ? UnixSocketPort.fromSocket(await host.accepted(child), 'agent socket') : CharDevicePort.fromFd((pty as PtyPair).masterFd, 'pty master');
  await port.open();
  const sim = new ClientSimulator(port, options.sim);
  return {
    sim,
    pid: child.pid as number,
    hostFd: pty?.masterFd,
    hostPort: port,
    rss: () => rssOf(child.pid as number),
    logs: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await port.close();
      pty?.close();
      await host?.close();
    },
  };
};

/** A UNIX socket in a temporary folder where a daemon connects as to its SPICE port. */
export async function listenForAgent(): Promise<{ path: string; accepted(child: ChildProcess): Promise<Socket>; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-socket-'));
  const path = join(dir, 'spice.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    accepted: (child) =>
      new Promise((resolve, reject) => {
        server.once('connection', resolve);
        child.once('exit', (code) => reject(new Error(`the daemon exited (${code}) before connecting to its socket`)));
      }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The daemon in this process on an in-memory port pair. */
export const startMemoryHarness: HarnessFactory = async (options = {}) => {
  const [agentSide, hostSide] = createMemoryPortPair();
  let log = '';
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (log += d.toString()));
  const logger = createLogger({ stream, debug: options.debug, journal: false, writer: winstonWriter });
  await hostSide.open();
  const sim = new ClientSimulator(hostSide, options.sim);
  const daemon = new Daemon({ port: agentSide, log: logger, actions: loadActions(options.actionsDirs ?? [VENDOR_ACTIONS], { log: logger }), desktop: new DesktopState(), options: { fakeUinput: '/dev/null' } });
  await daemon.start();
  return {
    sim,
    pid: process.pid,
    rss: () => rssOf('self'),
    logs: () => log,
    async stop() {
      await daemon.stop();
      await hostSide.close();
    },
  };
};
