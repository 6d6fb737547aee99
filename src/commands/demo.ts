import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { describeMessage, ErrorCode, MessageType } from '../protocol/index.js';
import { ClientSimulator, type SimRecord } from '../sim/simulator.js';
import { CharDevicePort } from '../transport/chardev-port.js';
import { openPtyPair } from '../transport/pty.js';

/** The vendor actions.d shipped beside the built code. */
export const VENDOR_ACTIONS_DIR = fileURLToPath(new URL('../../actions.d', import.meta.url));
/** The CLI entry point of this build. */
export const CLI_PATH = fileURLToPath(new URL('../cli.js', import.meta.url));

const ARROW: Record<SimRecord['from'], string> = { client: 'client -> agent', server: 'server -> agent', agent: 'agent -> client' };

/** Prints one simulator record. */
function show(r: SimRecord): void {
  const what = r.message ? describeMessage(r.message) : `dropped: ${r.error ? ErrorCode[r.error.code] : ''} ${r.error?.message ?? ''}`;
  process.stdout.write(`${String(r.at).padStart(6)} ms  ${ARROW[r.from]}: ${what}\n`);
}

/**
 * `vdagent demo`: the real daemon on a loopback pty, driven by the client simulator as spice-gtk
 * would drive it, printing the exchange as it happens.
 */
export async function runDemo(): Promise<number> {
  const pty = openPtyPair();
  const daemon = spawn(process.execPath, [CLI_PATH, 'daemon', '--port', pty.slavePath, '--qga-port', 'none', '--session', 'none', '--actions-dir', VENDOR_ACTIONS_DIR], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, JOURNAL_STREAM: undefined },
  });
  createInterface({ input: daemon.stderr }).on('line', (line) => process.stdout.write(`          [daemon] ${line}\n`));
  const port = CharDevicePort.fromFd(pty.masterFd, 'pty master');
  await port.open();
  const sim = new ClientSimulator(port);
  sim.on('record', show);
  process.stdout.write(`vdagent demo: daemon pid ${daemon.pid} on ${pty.slavePath}; simulator plays spice-gtk 0.42 on the master\n`);
  try {
    await sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 5000 });
    await sim.mouse(640, 480, 0x02, 0);
    await sim.mouse(700, 500, 0, 0);
    await sim.disconnect();
    await new Promise((r) => setTimeout(r, 200));
    process.stdout.write('--- a new client connects ---\n');
    sim.connect();
    await sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    process.stdout.write('demo finished: handshake, dispatch, disconnect and reconnect all answered\n');
    return 0;
  } catch (err) {
    process.stdout.write(`demo failed: ${String(err)}\n`);
    return 1;
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    await port.close();
    pty.close();
  }
}
