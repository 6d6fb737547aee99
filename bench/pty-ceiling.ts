import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessageType } from '../src/protocol/index.js';
import { ClientSimulator } from '../src/sim/simulator.js';
import { CharDevicePort } from '../src/transport/chardev-port.js';
import { type Ceiling, PlainReader } from './plain-reader.js';
import { openPtyPair } from '../src/transport/pty.js';

/**
 * The bench's host writer (the client simulator on the pty master, as for the agents) sends `size`
 * bytes of 64 KiB FILE_XFER_DATA messages to a plain blocking reader of the slave
 * (bench/pty-reader.ts) that does nothing else: the most an agent could take on this pty.
 */
export async function ptyCeiling(size: number): Promise<Ceiling> {
  const pty = openPtyPair();
  const port = CharDevicePort.fromFd(pty.masterFd, 'pty master');
  await port.open();
  const reader = new PlainReader('./pty-reader.js', pty.slavePath);
  try {
    return await reader.time(port, size, async () => {
      await port.close();
      pty.close();
    });
  } finally {
    reader.kill();
    await port.close();
    pty.close();
  }
}

/**
 * The other way: a plain blocking writer of the slave (bench/pty-writer.ts) sends a CLIPBOARD
 * message of `size` bytes as one chunk to the bench's reader (the client simulator on the master,
 * as for the agents); the milliseconds from its start to the whole message decoded. Nothing of an
 * agent's work (the desktop's clipboard, its own processes) is in it: the most any agent could
 * reach for a guest->client clipboard on this pty.
 */
export async function ptyCeilingToHost(size: number): Promise<number> {
  const pty = openPtyPair();
  const port = CharDevicePort.fromFd(pty.masterFd, 'pty master');
  await port.open();
  const writer = spawn(process.execPath, [fileURLToPath(new URL('./pty-writer.js', import.meta.url)), pty.slavePath, String(size)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  writer.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    while (!out.includes('ready\n')) await new Promise((r) => setTimeout(r, 5));
    const sim = new ClientSimulator(port, { autoFlow: false });
    const whole = sim.expect(MessageType.Clipboard, { timeoutMs: 120_000 });
    const t0 = performance.now();
    writer.stdin.write('go');
    const m = await whole;
    const ms = performance.now() - t0;
    if (m.type !== MessageType.Clipboard || m.data.length !== size) throw new Error(`the pty writer's clipboard arrived with the wrong size`);
    return ms;
  } finally {
    writer.kill();
    await port.close();
    pty.close();
  }
}
