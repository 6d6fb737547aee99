import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessageType } from '../src/protocol/index.js';
import { ClientSimulator } from '../src/sim/simulator.js';
import { CharDevicePort } from '../src/transport/chardev-port.js';
import { openPtyPair } from '../src/transport/pty.js';

/** The pty's own ceiling for one transfer, and how the reader got it. */
export interface PtyCeiling {
  ms: number;
  /** Mean bytes per read(2) of the slave. */
  bytesPerRead: number;
}

/**
 * The bench's host writer (the client simulator on the pty master, as for the agents) sends
 * `size` bytes of 64 KiB FILE_XFER_DATA messages to a plain blocking reader of the slave
 * (bench/pty-reader.ts) that does nothing else: the most an agent could take on this pty.
 */
export async function ptyCeiling(size: number): Promise<PtyCeiling> {
  const pty = openPtyPair();
  const port = CharDevicePort.fromFd(pty.masterFd, 'pty master');
  await port.open();
  const reader = spawn(process.execPath, [fileURLToPath(new URL('./pty-reader.js', import.meta.url)), pty.slavePath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => reader.once('exit', r));
  try {
    while (!out.includes('ready\n')) await new Promise((r) => setTimeout(r, 5));
    const sim = new ClientSimulator(port);
    const block = Buffer.alloc(64 * 1024, 0x5a);
    const t0 = performance.now();
    for (let off = 0; off < size; off += block.length) await sim.send({ type: MessageType.FileXferData, id: 1, data: block });
    // The writes resolved once the kernel took them; the reader is done once the master closes.
    await port.close();
    pty.close();
    await exited;
    const ms = performance.now() - t0;
    const { bytes, reads } = JSON.parse(out.split('\n')[1] as string) as { bytes: number; reads: number };
    return { ms, bytesPerRead: bytes / reads };
  } finally {
    reader.kill();
    await port.close();
    pty.close();
  }
}
