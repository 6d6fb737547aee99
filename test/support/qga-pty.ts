import { CharDevicePort } from '../../src/transport/chardev-port.js';
import { openPtyPair } from '../../src/transport/pty.js';
import { QgaClient } from './qga-client.js';

/** A pty made for a daemon's `--qga-port`, with a guest-agent client on the host end. */
export interface QgaPty {
  /** The path to give as `--qga-port`. */
  path: string;
  client: QgaClient;
  close(): Promise<void>;
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
