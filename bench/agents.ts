import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType } from '../src/protocol/index.js';
import { ClientSimulator } from '../src/sim/simulator.js';
import { CharDevicePort } from '../src/transport/chardev-port.js';
import { openPtyPair } from '../src/transport/pty.js';
import { UnixSocketPort } from '../src/transport/unix-socket-port.js';
import { startDesktopDaemon } from '../test/support/desktop-daemon.js';
import { listenForAgent, ROOT, type Harness } from '../test/support/harness.js';
import { rssOf } from '../test/support/proc.js';
import { startXvfb } from '../test/support/x-server.js';

/** Our program as the package ships it: the bundle `npm run bench` builds first (packaging/bundle.mjs). */
export const SHIPPED_CLI = join(ROOT, 'build', 'app', 'dist', 'cli.js');

/** A guest agent (daemon + session agent on Xvfb) with the client simulator on its pty. */
export interface BenchAgent {
  /** What the bench prints for it. */
  readonly name: string;
  /** The daemon on the pty, with the simulator on the host side. */
  readonly agent: Harness;
  /** The session agent's process id. */
  helper(): number;
  /** The environment of an X client on the session agent's display. */
  readonly xEnv: Record<string, string>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Our daemon with its session helper on Xvfb (clipboard and file-xfer enabled), on the Node binary `node` (default this one's). */
export async function startVdagent(node?: string): Promise<BenchAgent> {
  return startOurs('vdagent', false, node);
}

/** Our daemon and helper as startVdagent(), with the SPICE port on a UNIX socket: no tty in the way. */
export async function startVdagentOnSocket(): Promise<BenchAgent> {
  return startOurs('vdagent on a socket', true);
}

async function startOurs(name: string, socketPort: boolean, node?: string): Promise<BenchAgent> {
  const d = await startDesktopDaemon({ socketPort, cli: SHIPPED_CLI, node });
  const helper = d.helper();
  if (helper === undefined) throw new Error('the session helper did not start');
  return { name, agent: d.agent, helper: () => helper, xEnv: d.xEnv, stop: () => d.stop() };
}

/** Whether Debian's spice-vdagent (spice-vdagentd + spice-vdagent) is installed. */
export function spiceVdagentInstalled(): boolean {
  return ['spice-vdagentd', 'spice-vdagent'].every((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0);
}

/** Kills a child and waits for its exit. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** A port made by the caller for spice-vdagentd: the path it opens and the simulator on its host side. */
export interface GivenPort {
  readonly path: string;
  readonly sim: ClientSimulator;
}

/** spice-vdagentd's port as the bench makes it: the path it opens, the simulator once it has, and the clean-up. */
interface SpicePort {
  readonly path: string;
  /** The simulator on the host side, once `daemon` has opened its port. */
  opened(daemon: ChildProcess): Promise<ClientSimulator>;
  close(): Promise<void>;
}

/** A raw pty: spice-vdagentd opens the slave, the simulator is on the master from the start. */
async function ptyForSpice(): Promise<SpicePort> {
  const pty = openPtyPair();
  const port = CharDevicePort.fromFd(pty.masterFd, 'pty master');
  await port.open();
  const sim = new ClientSimulator(port);
  return {
    path: pty.slavePath,
    opened: () => Promise.resolve(sim),
    close: async () => {
      await port.close();
      pty.close();
    },
  };
}

/**
 * A UNIX socket the host listens on: spice-vdagentd connects to it when the path does not open as
 * a device (its support for Xspice), as ours does with `--port` naming a socket. No tty in the way.
 */
async function socketForSpice(): Promise<SpicePort> {
  const host = await listenForAgent();
  let port: UnixSocketPort | undefined;
  return {
    path: host.path,
    opened: async (daemon) => {
      port = UnixSocketPort.fromSocket(await host.accepted(daemon), 'agent socket');
      await port.open();
      return new ClientSimulator(port);
    },
    close: async () => {
      await port?.close();
      await host.close();
    },
  };
}

/**
 * spice-vdagentd (foreground, no session integration, fake uinput) on a raw pty (or on `given`),
 * and the spice-vdagent session agent on Xvfb, saving transferred files in a temporary folder:
 * driven by the same simulator the same way as ours.
 */
export async function startSpiceVdagent(given?: GivenPort): Promise<BenchAgent> {
  const port: SpicePort = given ? { path: given.path, opened: () => Promise.resolve(given.sim), close: () => Promise.resolve() } : await ptyForSpice();
  return startSpice('spice-vdagent', port);
}

/** spice-vdagent as startSpiceVdagent(), its port a UNIX socket the host listens on: no tty in the way. */
export async function startSpiceVdagentOnSocket(): Promise<BenchAgent> {
  return startSpice('spice-vdagent on a socket', await socketForSpice());
}

async function startSpice(name: string, port: SpicePort): Promise<BenchAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'spice-vdagent-bench-'));
  const save = join(dir, 'save');
  mkdirSync(save);
  const uinput = join(dir, 'uinput');
  writeFileSync(uinput, '');
  const socket = join(dir, 'sock');
  const x = await startXvfb();
  let log = '';
  const logged = (child: ChildProcess): ChildProcess => {
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    return child;
  };
  const daemon = logged(spawn('spice-vdagentd', ['-x', '-X', '-f', '-u', uinput, '-s', port.path, '-S', socket], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const stopAll = async (): Promise<void> => {
    await kill(session);
    await kill(daemon);
    await port.close();
    await x.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  let session: ChildProcess = daemon;
  let sim: ClientSimulator;
  try {
    const deadline = Date.now() + 10_000;
    // The session agent connects to the daemon's socket: wait for it to exist.
    while (spawnSync('test', ['-S', socket]).status !== 0 && Date.now() < deadline) await sleep(50);
    session = logged(spawn('spice-vdagent', ['-x', '-s', port.path, '-S', socket, '-f', save, '-o', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...x.env, HOME: dir } }));
    // spice-vdagentd opens its port once a session agent connected.
    sim = await port.opened(daemon);
    await sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 10_000 });
    await sleep(1000);
    if (session.exitCode !== null) throw new Error(`spice-vdagent exited with ${session.exitCode}`);
  } catch (err) {
    await stopAll();
    throw new Error(`${(err as Error).message}; log:\n${log}`);
  }
  const daemonPid = daemon.pid as number;
  const sessionPid = session.pid as number;
  const agent: Harness = { sim, pid: daemonPid, rss: () => rssOf(daemonPid), logs: () => log, hostPort: sim.port, stop: stopAll };
  return { name, agent, helper: () => sessionPid, xEnv: x.env, stop: stopAll };
}
