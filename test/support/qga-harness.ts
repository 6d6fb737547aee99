import { spawn } from 'node:child_process';
import { CharDevicePort } from '../../src/transport/chardev-port.js';
import type { Port } from '../../src/transport/port.js';
import { openPtyPair, type PtyPair } from '../../src/transport/pty.js';
import { CLI } from './harness.js';
import { QgaClient } from './qga-client.js';

/** A pty made for a daemon's `--qga-port`, with a guest-agent client on the host end. */
export interface QgaPty {
  /** The path to give as `--qga-port`. */
  path: string;
  client: QgaClient;
  close(): Promise<void>;
}

/** The daemon process with its guest-agent port on a pty, and a client on the host end. */
export interface QgaDaemon {
  client: QgaClient;
  /** The host end of the daemon's SPICE port (its data is read and dropped unless a test listens too). */
  spice: Port;
  pid: number;
  logs(): string;
  stop(): Promise<void>;
}

/** Opens a pty pair: the daemon gets the slave path, the client talks on the master. */
export async function openQgaPty(): Promise<QgaPty> {
  const pty = openPtyPair();
  const port = CharDevicePort.fromFd(pty.masterFd, 'qga master');
  await port.open();
  return {
    path: pty.slavePath,
    client: new QgaClient(port),
    async close() {
      await port.close();
      pty.close();
    },
  };
}

/**
 * Starts `vdagent daemon` on two pty pairs made here (the SPICE port, unused, and the guest-agent
 * port), with the given actions.d directories and further options, and synchronises with it;
 * `prefix` (such as a mount namespace) runs it.
 */
export async function startQgaDaemon(options: { actionsDirs: string[]; env?: NodeJS.ProcessEnv; args?: string[]; prefix?: string[] }): Promise<QgaDaemon> {
  const spice: PtyPair = openPtyPair();
  const qga = await openQgaPty();
  const args = [CLI, 'daemon', '--port', spice.slavePath, '--qga-port', qga.path, '--session', 'none'];
  for (const dir of options.actionsDirs) args.push('--actions-dir', dir);
  args.push(...(options.args ?? []));
  const [command = process.execPath, ...argv] = [...(options.prefix ?? []), process.execPath, ...args];
  const child = spawn(command, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JOURNAL_STREAM: undefined, ...options.env },
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const spicePort = CharDevicePort.fromFd(spice.masterFd, 'spice master');
  spicePort.on('data', () => undefined);
  await spicePort.open();
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await qga.close();
    await spicePort.close();
    spice.close();
  };
  try {
    await qga.client.sync();
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; daemon log:\n${log}`);
  }
  return { client: qga.client, spice: spicePort, pid: child.pid as number, logs: () => log, stop };
}
