import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessageType } from '../src/protocol/index.js';
import { ClientSimulator } from '../src/sim/simulator.js';
import { UnixSocketPort } from '../src/transport/unix-socket-port.js';
import { listenForAgent } from '../test/support/harness.js';

/** The writer: connects, and at each byte from the simulator writes one CLIPBOARD of `size` bytes (one chunk, one corked write). */
const WRITER = `
const net = require('node:net');
import(process.argv[2]).then((p) => {
  const size = Number(process.argv[3]);
  const wire = p.toWire({ type: p.MessageType.Clipboard, selection: 0, dataType: p.ClipboardType.Utf8Text, data: Buffer.alloc(size, 0x61) }, { peerCaps: p.CapabilitySet.empty }, p.ChunkPort.Client, p.WHOLE_MESSAGE);
  const s = net.connect(process.argv[1]);
  s.on('data', () => {
    s.cork(); for (const b of wire) s.write(b); s.uncork();
  });
});`;

/**
 * Probe (not part of \`npm run bench\`): the bench's simulator on a UNIX socket receiving a CLIPBOARD
 * of N MiB from a bare writer that has it ready (no agent): the floor of the clipboard bench's time
 * on this machine. \`node build/bench/sim-floor.js MiB rounds\`.
 */
async function main(): Promise<void> {
  const [mib = '16', rounds = '8'] = process.argv.slice(2);
  const host = await listenForAgent();
  const protocol = fileURLToPath(new URL('../src/protocol/index.js', import.meta.url));
  const child = spawn(process.execPath, ['-e', WRITER, host.path, protocol, String(Number(mib) * 1024 * 1024)], { stdio: 'inherit' });
  const port = UnixSocketPort.fromSocket(await host.accepted(child), 'floor socket');
  await port.open();
  const sim = new ClientSimulator(port);
  const times: number[] = [];
  for (let r = 0; r < Number(rounds); r++) {
    await new Promise((res) => setTimeout(res, 300));
    const t0 = performance.now();
    const got = sim.expect(MessageType.Clipboard, { timeoutMs: 60_000 });
    await port.write(Buffer.from([0]));
    const m = await got;
    times.push(performance.now() - t0);
    if (m.data.length !== Number(mib) * 1024 * 1024) throw new Error(`got ${m.data.length} bytes`);
    sim.records.length = 0;
  }
  child.kill();
  await port.close();
  await host.close();
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(`simulator floor ${mib} MiB: ${times.map((t) => t.toFixed(1)).join(' ')} | median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} min ${sorted[0]?.toFixed(1)}\n`);
}

void main();
