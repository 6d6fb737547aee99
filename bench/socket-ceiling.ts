import { UnixSocketPort } from '../src/transport/unix-socket-port.js';
import { listenForAgent } from '../test/support/harness.js';
import { type Ceiling, PlainReader } from './plain-reader.js';

/**
 * The bench's host writer (the client simulator on the host's end of a UNIX socket, as for the
 * agents) sends `size` bytes to a plain reader that discards them (bench/socket-reader.ts): the
 * most an agent could take from this writer on a socket.
 */
export async function socketCeiling(size: number): Promise<Ceiling> {
  const host = await listenForAgent();
  const reader = new PlainReader('./socket-reader.js', host.path);
  const port = UnixSocketPort.fromSocket(await host.accepted(reader.child), 'reader socket');
  try {
    await port.open();
    return await reader.time(port, size, () => port.close());
  } finally {
    reader.kill();
    await port.close();
    await host.close();
  }
}
