import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ABS_X, ABS_Y, decodeInputEvents, EV_ABS, EV_KEY, EV_REL, EV_SYN, type InputEvent } from '../platform/uinput/input-event.js';
import { describeMessage, ErrorCode, FileXferResult, MessageType } from '../protocol/index.js';
import { ClientSimulator, type SimRecord } from '../sim/simulator.js';
import { CharDevicePort } from '../transport/chardev-port.js';
import { openPtyPair } from '../transport/pty.js';

/** The vendor actions.d shipped beside the built code. */
export const VENDOR_ACTIONS_DIR = fileURLToPath(new URL('../../actions.d', import.meta.url));

const ARROW: Record<SimRecord['from'], string> = { client: 'client -> agent', server: 'server -> agent', agent: 'agent -> client' };

/** Prints one simulator record. */
function show(r: SimRecord): void {
  const what = r.message ? describeMessage(r.message) : `dropped: ${r.error ? ErrorCode[r.error.code] : ''} ${r.error?.message ?? ''}`;
  process.stdout.write(`${String(r.at).padStart(6)} ms  ${ARROW[r.from]}: ${what}\n`);
}

/** A short name for an input event, e.g. `ABS_X 640`, `KEY 0x110 1`, `REL 8 +1`. */
function eventName(e: InputEvent): string {
  if (e.type === EV_ABS) return `${e.code === ABS_X ? 'ABS_X' : e.code === ABS_Y ? 'ABS_Y' : `ABS ${e.code}`} ${e.value}`;
  if (e.type === EV_KEY) return `KEY 0x${e.code.toString(16)} ${e.value}`;
  if (e.type === EV_REL) return `REL ${e.code} ${e.value > 0 ? '+' : ''}${e.value}`;
  return e.type === EV_SYN ? 'SYN' : `type ${e.type} code ${e.code} ${e.value}`;
}

/** Prints the pointer events the daemon wrote to its --fake-uinput file. */
function showEvents(bytes: Buffer): void {
  process.stdout.write(`          [uinput] ${decodeInputEvents(bytes).map(eventName).join(', ') || '(none)'}\n`);
}

/** The files received into the demo's home, with their contents. */
function listFiles(home: string): string {
  const found: string[] = [];
  for (const sub of ['Downloads', 'Desktop', '.']) {
    try {
      for (const name of readdirSync(join(home, sub))) {
        if (name === 'hello.txt') found.push(`${join(sub, name)}: ${JSON.stringify(readFileSync(join(home, sub, name), 'utf8'))}`);
      }
    } catch {
      // not there
    }
  }
  return found.join(', ') || '(nothing received)';
}

/**
 * `vdagent demo`: the real daemon on a loopback pty, driven by the client simulator as spice-gtk
 * would drive it, printing the exchange as it happens.
 */
export async function runDemo(): Promise<number> {
  const pty = openPtyPair();
  const dir = mkdtempSync(join(tmpdir(), 'vdagent-demo-'));
  const events = join(dir, 'input-events');
  // The session helper runs as this user (--session current) with a home in the temporary folder.
  const args = ['daemon', '--port', pty.slavePath, '--qga-port', 'none', '--session', 'current', '--actions-dir', VENDOR_ACTIONS_DIR, '--fake-uinput', events];
  // The daemon is this same program (its entry script, compiled module by module or bundled).
  const daemon = spawn(process.execPath, [process.argv[1] ?? '', ...args], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, JOURNAL_STREAM: undefined, HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') },
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
    await sim.mouse(700, 500, 0x10, 0);
    await sim.mouse(700, 500, 0, 0);
    await new Promise((r) => setTimeout(r, 200));
    showEvents(readFileSync(events));
    // The helper loads its code and drops privileges first: until it serves, START gets NOT_CONNECTED.
    let id = 1;
    const deadline = Date.now() + 10_000;
    for (;;) {
      await sim.send({ type: MessageType.FileXferStart, id, keyfile: '[vdagent-file-xfer]\nname=hello.txt\nsize=12\n' });
      const status = await sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 5000 });
      if (status.result !== FileXferResult.VdagentNotConnected || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
      id++;
    }
    await sim.send({ type: MessageType.FileXferData, id, data: Buffer.from('hello, guest') });
    await sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 5000 });
    process.stdout.write(`          [files] ${listFiles(dir)}\n`);
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
    rmSync(dir, { recursive: true, force: true });
  }
}
