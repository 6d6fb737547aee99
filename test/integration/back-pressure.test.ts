import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, CapabilitySet, ChunkPort, FileXferResult, MessageType, type FileXferStatusMessage, type Message } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { daemonAndHelperRss, flood, wire } from '../support/flood.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { helperPid } from '../support/proc.js';

const MiB = 1 << 20;
/** The bound the daemon and its helper hold together over their idle size, under any input at any rate. */
const BOUND = 64 * MiB;

let nextId = 1;

/** Asks to send a file; resolves with the transfer's id and the agent's first answer. */
async function begin(a: Harness, name: string, size: number): Promise<{ id: number; status: FileXferStatusMessage }> {
  const id = nextId++;
  await a.sim.send({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=${name}\nsize=${size}\n` });
  return { id, status: await a.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 20_000 }) };
}

/** Waits until a helper serves file transfers again (a probe accepted is cancelled). */
async function untilServed(a: Harness): Promise<void> {
  for (;;) {
    const { id, status } = await begin(a, 'probe', 1);
    if (status.result === FileXferResult.CanSendData) {
      await a.sim.send({ type: MessageType.FileXferStatus, id, result: FileXferResult.Cancelled });
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The agent still answers: a new client's announcement is answered, and a pointer state reaches the sink. */
async function stillAnswers(a: Harness, sink: string): Promise<void> {
  a.sim.consumeAll();
  const before = statSync(sink).size;
  a.sim.connect();
  await a.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 20_000 });
  await a.sim.mouse(10, 20, 0);
  for (let i = 0; statSync(sink).size === before; i++) {
    if (i > 200) throw new Error('no pointer event reached the sink');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** START + CANCELLED pairs with large keyfiles (`padding` is ignored), and small CANCELLED statuses for unknown ids. */
function startCancelStorm(pairs: number): Buffer {
  const padding = 'x'.repeat(30_000);
  const messages: Message[] = [];
  for (let i = 0; i < pairs; i++) {
    const id = nextId++;
    messages.push({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=storm\nsize=1\npadding=${padding}\n` });
    messages.push({ type: MessageType.FileXferStatus, id, result: FileXferResult.Cancelled });
    for (let k = 0; k < 20; k++) messages.push({ type: MessageType.FileXferStatus, id: 0x7000_0000 + k, result: FileXferResult.Cancelled });
  }
  return wire(messages);
}

describe.runIf(process.getuid?.() === 0)('back-pressure from the SPICE port to the session helper and the pointer sink', () => {
  let root: string;
  let sink: string;
  let h: Harness;

  async function start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    h = await startPtyHarness({
      actionsDirs: [makeActionsDir(root, { 'file-xfer': '', mouse: '' })],
      session: 'current',
      env: { HOME: root, ...env },
      extraArgs: ['--fake-uinput', sink],
    });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
    await untilServed(h);
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pressure-'));
    chmodSync(root, 0o755);
    sink = join(root, 'pointer-events');
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs().slice(-6000)}\n`);
    await h.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('holds daemon + helper memory within 64 MB of idle through a FILE_XFER_START/CANCELLED storm of 100 MB, and answers after', async () => {
    execFileSync('touch', [sink]);
    await start();
    await new Promise((r) => setTimeout(r, 500));
    const idle = daemonAndHelperRss(h.pid);
    let peak = idle;
    const sample = (): void => void (peak = Math.max(peak, daemonAndHelperRss(h.pid)));
    const batch = startCancelStorm(200);
    let fed = 0;
    while (fed < 100 * MiB) {
      const { accepted } = await flood(h.hostFd as number, batch, { sample });
      fed += accepted;
    }
    expect(peak - idle).toBeLessThanOrEqual(BOUND);
    await stillAnswers(h, sink);
    expect(daemonAndHelperRss(h.pid) - idle).toBeLessThanOrEqual(BOUND);
  }, 300_000);

  it('stops reading the port while the helper is stopped, kills it after the stall, and serves again', async () => {
    execFileSync('touch', [sink]);
    await start();
    const idle = daemonAndHelperRss(h.pid);
    const { id, status } = await begin(h, 'big', 256 * MiB);
    expect(status.result).toBe(FileXferResult.CanSendData);
    const helper = helperPid(h.pid) as number;
    process.kill(helper, 'SIGSTOP');
    const chunk = Buffer.alloc(65536, 0x5a);
    const data = wire(Array.from({ length: 1024 }, () => ({ type: MessageType.FileXferData, id, data: chunk })));
    let peak = idle;
    const { accepted, blocked } = await flood(h.hostFd as number, data, { giveUpMs: 3000, sample: () => void (peak = Math.max(peak, daemonAndHelperRss(h.pid))) });
    // 64 MiB offered: the agent took its window (1 MiB) plus what kernel buffers and one read hold.
    expect(blocked).toBe(true);
    expect(accepted).toBeLessThan(8 * MiB);
    expect(peak - idle).toBeLessThanOrEqual(BOUND);
    // The stalled helper is killed (SIGKILL ends a stopped process): the client hears its transfer cancelled.
    const cancelled = await h.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 30_000 });
    expect(cancelled.result).toBe(FileXferResult.Cancelled);
    await h.sim.sendRaw(data.subarray(accepted)); // the rest is read now, and dropped with its transfer
    await untilServed(h);
    expect(helperPid(h.pid)).not.toBe(helper);
    await stillAnswers(h, sink);
  }, 120_000);

  it('stops reading the port while the pointer sink is full (a FIFO nobody reads), and reads again once it drains', async () => {
    execFileSync('mkfifo', [sink]);
    const reader = openSync(sink, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await start();
      const idle = daemonAndHelperRss(h.pid);
      const states: Message[] = Array.from({ length: 200_000 }, (_, i) => ({ type: MessageType.MouseState, x: i % 1000, y: i % 700, buttons: i % 2 ? 2 : 0, displayId: 0 }));
      const data = wire(states, ChunkPort.Server);
      let peak = idle;
      const { accepted, blocked } = await flood(h.hostFd as number, data, { giveUpMs: 3000, sample: () => void (peak = Math.max(peak, daemonAndHelperRss(h.pid))) });
      expect(blocked).toBe(true);
      expect(accepted).toBeLessThan(data.length / 4);
      expect(peak - idle).toBeLessThanOrEqual(BOUND);
      // The sink's reader catches up: the port is read again, to the end of the flood.
      const buf = Buffer.alloc(65536);
      const drain = setInterval(() => {
        try {
          while (readSync(reader, buf) > 0);
        } catch {
          // EAGAIN: drained for now.
        }
      }, 5);
      try {
        const rest = await flood(h.hostFd as number, data.subarray(accepted));
        expect(rest.blocked).toBe(false);
        h.sim.consumeAll();
        h.sim.connect();
        await h.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 20_000 });
      } finally {
        clearInterval(drain);
      }
    } finally {
      closeSync(reader);
    }
  }, 120_000);

  it('kills a helper that declares a frame over the bound (Node IPC would buffer up to 2 GiB of it), without holding its bytes', async () => {
    execFileSync('touch', [sink]);
    // Preloaded into the first helper only (the daemon and later helpers skip it): a 2 GiB frame header, then 512 MiB of its payload.
    const once = join(root, 'hostile-done');
    const hostile = join(root, 'hostile.cjs');
    writeFileSync(
      hostile,
      `const fs = require('fs');
if (process.argv.includes('session') && !fs.existsSync(${JSON.stringify(once)})) {
  fs.writeFileSync(${JSON.stringify(once)}, '');
  const s = new (require('net').Socket)({ fd: 3, readable: false, writable: true });
  s.on('error', () => undefined);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(0x7fffffff, 0);
  s.write(header);
  const junk = Buffer.alloc(1 << 20, 0x41);
  let sent = 0;
  const pump = () => { while (sent < 512 << 20 && !s.destroyed) { sent += junk.length; if (!s.write(junk)) return s.once('drain', pump); } };
  pump();
}
`,
    );
    let peak = 0;
    const watch = setInterval(() => {
      try {
        peak = Math.max(peak, h.rss());
      } catch {
        // The previous test's daemon (h is set once this one's starts): nothing to read.
      }
    }, 5);
    try {
      // Served (start() waits for it): the hostile helper was killed at its header, and a sound one serves now.
      await start({ NODE_OPTIONS: `--require ${hostile}` });
    } finally {
      clearInterval(watch);
    }
    expect(existsSync(once)).toBe(true);
    expect(h.logs()).toMatch(/EMSGSIZE/);
    expect(peak - h.rss()).toBeLessThanOrEqual(BOUND);
    await stillAnswers(h, sink);
  }, 60_000);
});

describe('back-pressure from the host to itself', () => {
  it('stops reading a host that does not read its answers, instead of dropping answers, and answers every request once it reads again', async () => {
    const h = await startPtyHarness();
    try {
      await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
      let answers = 0;
      h.sim.on('record', (r) => {
        if (r.from === 'agent' && r.message?.type === MessageType.AnnounceCapabilities && !r.message.request) answers++;
      });
      // Each announcement with request=1 is answered: 20,000 answers are more chunks than the output queue holds.
      const requests = 20_000;
      const data = wire(Array.from({ length: requests }, () => ({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(Capability.MouseState) })));
      h.hostPort?.pause();
      const first = await flood(h.hostFd as number, data, { giveUpMs: 1500 });
      expect(first.blocked).toBe(true);
      h.hostPort?.resume();
      await flood(h.hostFd as number, data.subarray(first.accepted));
      await expect.poll(() => answers, { timeout: 30_000 }).toBe(requests);
      expect(h.logs()).not.toContain('output queue full');
    } finally {
      await h.stop();
    }
  }, 60_000);
});

