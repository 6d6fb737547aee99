import { spawn } from 'node:child_process';
import { CharDevicePort } from '../../src/transport/chardev-port.js';
import { openPtyPair, type PtyPair } from '../../src/transport/pty.js';
import { CLI } from './harness.js';
import { QgaClient } from './qga-client.js';

/** The daemon process with its guest-agent port on a pty, and a client on the host end. */
export interface QgaDaemon {
  client: QgaClient;
  pid: number;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts `vdagent daemon` on two pty pairs made here (the SPICE port, unused, and the guest-agent
 * port), with the given actions.d directories, and synchronises with it.
 */
export async function startQgaDaemon(options: { actionsDirs: string[]; env?: NodeJS.ProcessEnv }): Promise<QgaDaemon> {
  const spice: PtyPair = openPtyPair();
  const qga: PtyPair = openPtyPair();
  const args = [CLI, 'daemon', '--port', spice.slavePath, '--qga-port', qga.slavePath, '--session', 'none'];
  for (const dir of options.actionsDirs) args.push('--actions-dir', dir);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JOURNAL_STREAM: undefined, ...options.env },
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const spicePort = CharDevicePort.fromFd(spice.masterFd, 'spice master');
  const qgaPort = CharDevicePort.fromFd(qga.masterFd, 'qga master');
  spicePort.on('data', () => undefined);
  await spicePort.open();
  await qgaPort.open();
  const client = new QgaClient(qgaPort);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await qgaPort.close();
    await spicePort.close();
    qga.close();
    spice.close();
  };
  try {
    await client.sync();
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; daemon log:\n${log}`);
  }
  return { client, pid: child.pid as number, logs: () => log, stop };
}
