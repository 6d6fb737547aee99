import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClientSimulator } from '../src/sim/simulator.js';
import { UnixSocketPort } from '../src/transport/unix-socket-port.js';
import { listenForAgent } from '../test/support/harness.js';
import { writeFileData } from './file-data-writer.js';

/** The socket's own ceiling for one transfer, and how the reader got it. */
export interface SocketCeiling {
  ms: number;
  /** Mean bytes per read of the reader. */
  bytesPerRead: number;
}

/**
 * The bench's host writer (writeFileData through the client simulator on the host's end of a UNIX
 * socket, as for the agents) sends `size` bytes to a plain reader that discards
 * them (bench/socket-reader.ts): the most an agent could take from this writer on a socket.
 */
export async function socketCeiling(size: number): Promise<SocketCeiling> {
  const host = await listenForAgent();
  const reader = spawn(process.execPath, [fileURLToPath(new URL('./socket-reader.js', import.meta.url)), host.path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => reader.once('exit', r));
  const port = UnixSocketPort.fromSocket(await host.accepted(reader), 'reader socket');
  try {
    await port.open();
    while (!out.includes('ready\n')) await new Promise((r) => setTimeout(r, 5));
    const sim = new ClientSimulator(port, { autoFlow: false });
    const t0 = performance.now();
    await writeFileData(sim, 1, size);
    // The writes resolved once the kernel took them; the reader is done once the host closes.
    await port.close();
    await exited;
    const ms = performance.now() - t0;
    const { bytes, reads } = JSON.parse(out.split('\n')[1] as string) as { bytes: number; reads: number };
    return { ms, bytesPerRead: bytes / reads };
  } finally {
    reader.kill();
    await port.close();
    await host.close();
  }
}
