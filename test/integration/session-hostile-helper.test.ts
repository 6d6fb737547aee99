import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, CapabilitySet, ChunkPort, ClipboardSelection, FileXferResult, MessageType } from '../../src/protocol/index.js';
import { RateLimiter } from '../../src/log/rate-limit.js';
import { HELPER_ENVELOPE } from '../../src/session/channel.js';
import { HELPER_WINDOW } from '../../src/session/in-flight.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { flood, wire } from '../support/flood.js';
import { CLI, startPtyHarness, type Harness } from '../support/harness.js';
import { alive, helperPid, peakRssOf, resetPeakRss, rssOf } from '../support/proc.js';

/** The daemon's entry script that starts itself again as a hostile helper (see the fixture). */
const FIXTURE = fileURLToPath(new URL('../fixtures/hostile-helper.mjs', import.meta.url));
const MiB = 1 << 20;
/** The bound the daemon holds over its idle size, whatever a peer sends. */
const BOUND = 64 * MiB;

/** A FILE_XFER_DATA payload as spice-gtk sends it. */
const BLOCK = Buffer.alloc(65536, 0x5a);
/** How many such blocks fill the daemon → helper window. */
const WINDOW_BLOCKS = HELPER_WINDOW.highBytes / BLOCK.length;

/** How many descriptors a process holds. */
const descriptors = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/**
 * Starts transfers until one goes to the helper (one the daemon does not answer itself; these
 * helpers never do): its id.
 */
async function transferGivenToHelper(h: Harness): Promise<number> {
  let id = 0;
  for (let answered = true; answered; ) {
    id++;
    await h.sim.send({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=big\nsize=${256 * MiB}\n` });
    answered = await h.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 1000 }).then(
      () => true,
      () => false,
    );
  }
  return id;
}

describe.runIf(process.getuid?.() === 0)('a hostile session helper on the real channel of the real daemon', () => {
  let root: string;
  let h: Harness;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hostile-helper-'));
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs().slice(-4000)}\n`);
    await h.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** The daemon's peak over its idle size while its helper sends a frame of `envelope` bytes of empty objects. */
  async function peakOverIdle(envelope: number, frame: 'objects' | 'layout' = 'objects'): Promise<number> {
    const go = join(root, 'go');
    h = await startPtyHarness({
      cli: FIXTURE,
      actionsDirs: [makeActionsDir(root, { clipboard: '', mouse: '' })],
      session: 'current',
      env: { HOSTILE_CLI: CLI, HOSTILE_GO: go, HOSTILE_ENVELOPE: String(envelope), HOSTILE_FRAME: frame },
    });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.ClipboardByDemand), timeoutMs: 20_000 });
    h.sim.consumeAll();
    resetPeakRss(h.pid);
    const idle = rssOf(h.pid);
    writeFileSync(go, '');
    // The helper's next message says it runs nothing, and a helper ended serves nothing either:
    // once the daemon re-announces without the clipboard, it has read or refused the frame.
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.caps.has(Capability.ClipboardByDemand), timeoutMs: 60_000 });
    return peakRssOf(h.pid) - idle;
  }

  it('refuses an envelope of 8 MiB (empty objects, 3 bytes each) from its header: the daemon stays within the bound', async () => {
    expect(await peakOverIdle(8 * MiB)).toBeLessThanOrEqual(BOUND);
  }, 180_000);

  it('reads the largest envelope it accepts, all empty objects, within the bound', async () => {
    expect(await peakOverIdle(HELPER_ENVELOPE)).toBeLessThanOrEqual(BOUND);
  }, 180_000);

  it('lives through a layout as long as the largest envelope holds (one monitor, then holes), and answers after', async () => {
    await peakOverIdle(HELPER_ENVELOPE, 'layout');
    expect(alive(h.pid)).toBe(true);
    h.sim.consumeAll();
    h.sim.connect();
    await h.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 20_000 });
  }, 180_000);

  it('kills a helper that acknowledges messages it never reads once it held the port for the stall time: the client hears its transfer cancelled', async () => {
    h = await startPtyHarness({
      cli: FIXTURE,
      actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })],
      session: 'current',
      env: { HOSTILE_CLI: CLI, HOSTILE_MODE: 'ack-liar' },
    });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 20_000 });
    const id = await transferGivenToHelper(h);
    const chunk = Buffer.alloc(65536, 0x5a);
    const data = wire(Array.from({ length: 1024 }, () => ({ type: MessageType.FileXferData, id, data: chunk })));
    const { blocked } = await flood(h.hostFd as number, data, { giveUpMs: 3000 });
    expect(blocked).toBe(true);
    const status = await h.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 40_000 });
    expect(status.result).toBe(FileXferResult.Cancelled);
  }, 120_000);

  /**
   * A helper that finishes one message every `ackMs` (see the fixture's `trickle`) is given a
   * transfer and `blocks` blocks of 64 KiB for it with the host's pointer state behind them, more
   * than its window holds; resolves once the pointer state reached the sink, with the transfer's id,
   * the helper's pid and how many messages it had finished by then.
   */
  async function pointerBehindFileData(ackMs: number, blocks: number): Promise<{ id: number; helper: number; acks: number }> {
    const record = join(root, 'acks');
    writeFileSync(record, '');
    const sink = join(root, 'pointer-events');
    writeFileSync(sink, '');
    h = await startPtyHarness({
      cli: FIXTURE,
      actionsDirs: [makeActionsDir(root, { 'file-xfer': '', mouse: '' })],
      session: 'current',
      env: { HOSTILE_CLI: CLI, HOSTILE_MODE: 'trickle', HOSTILE_ACK_MS: String(ackMs), HOSTILE_RECORD: record },
      extraArgs: ['--fake-uinput', sink],
    });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 20_000 });
    const id = await transferGivenToHelper(h);
    const helper = helperPid(h.pid) as number;
    const data = Buffer.concat([
      wire(Array.from({ length: blocks }, () => ({ type: MessageType.FileXferData, id, data: BLOCK }))),
      wire([{ type: MessageType.MouseState, x: 10, y: 20, buttons: 0, displayId: 0 }], ChunkPort.Server),
    ]);
    const { accepted, blocked } = await flood(h.hostFd as number, data, { giveUpMs: 3000 });
    expect(blocked).toBe(true);
    void h.sim.sendRaw(data.subarray(accepted)).catch(() => undefined);
    await expect.poll(() => statSync(sink).size, { timeout: 50_000, interval: 200 }).toBeGreaterThan(0);
    const acks = readFileSync(record, 'utf8').split('\n').filter((pid) => pid === String(helper)).length;
    return { id, helper, acks };
  }

  it('does not let a helper that finishes a message now and then hold the port paused: a pointer state behind file data is handled, the transfer cancelled', async () => {
    // One ack every 10 s, progress each time within the 12 s after which a helper behind without
    // progress is killed; twice the window of file data.
    const { id, acks } = await pointerBehindFileData(10_000, 2 * WINDOW_BLOCKS);
    // Handled before the helper's acks could have drained the window to where the port is read
    // again (from its high mark to its low one, a block each), and with the transfer cancelled.
    expect(acks).toBeLessThan((HELPER_WINDOW.highBytes - HELPER_WINDOW.lowBytes) / BLOCK.length);
    expect((await h.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 5000 })).result).toBe(FileXferResult.Cancelled);
  }, 120_000);

  it('keeps a helper as slow as a 64 KiB/s disk: the pointer state behind its file data waits for the window to drain, and the transfer goes on', async () => {
    // A block a second, 2.3 times the slowest drain the daemon waits for; one and a half windows of file data.
    const { id, helper, acks } = await pointerBehindFileData(1000, WINDOW_BLOCKS + WINDOW_BLOCKS / 2);
    expect(acks).toBeGreaterThanOrEqual((HELPER_WINDOW.highBytes - HELPER_WINDOW.lowBytes) / BLOCK.length);
    expect(helperPid(h.pid)).toBe(helper);
    expect(h.sim.records.some((r) => r.from === 'agent' && r.message?.type === MessageType.FileXferStatus && r.message.id === id)).toBe(false);
  }, 120_000);

  it('passes on no more than its flood control lets through of 20,000 lines the helper writes on its output', async () => {
    h = await startPtyHarness({
      cli: FIXTURE,
      actionsDirs: [makeActionsDir(root, { clipboard: '' })],
      session: 'current',
      env: { HOSTILE_CLI: CLI, HOSTILE_MODE: 'log-flood' },
    });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.ClipboardByDemand), timeoutMs: 20_000 });
    // Written after the flood: the helper's lines were all written by then.
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.caps.has(Capability.ClipboardByDemand), timeoutMs: 60_000 });
    expect(h.logs().match(/hostile line/g)?.length ?? 0).toBeLessThanOrEqual(new RateLimiter().budget * 2);
  }, 120_000);

  it('keeps no descriptor of a helper that ended, though a process it left holds its channel and output', async () => {
    const record = join(root, 'record');
    writeFileSync(record, '');
    const started = (): string[][] => readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
    h = await startPtyHarness({
      cli: FIXTURE,
      actionsDirs: [makeActionsDir(root, { clipboard: '' })],
      session: 'current',
      env: { HOSTILE_CLI: CLI, HOSTILE_MODE: 'fd-keeper', HOSTILE_RECORD: record },
    });
    try {
      await expect.poll(() => started().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      const before = descriptors(h.pid);
      // Five more helpers (restarted with back-off 0.4 s → 3.2 s), each ended, each leaving a keeper.
      await expect.poll(() => started().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(7);
      // Each count may hold one helper that is up: its channel and its two output pipes.
      expect(descriptors(h.pid) - before).toBeLessThanOrEqual(3);
    } finally {
      for (const [, keeper] of started()) process.kill(Number(keeper), 'SIGKILL');
    }
  }, 120_000);

  it('lives through losing a helper that holds a grab the client can no longer be told of in the same words', async () => {
    const sink = join(root, 'pointer-events');
    writeFileSync(sink, '');
    h = await startPtyHarness({
      cli: FIXTURE,
      actionsDirs: [makeActionsDir(root, { clipboard: '', mouse: '' })],
      session: 'current',
      env: { HOSTILE_CLI: CLI, HOSTILE_MODE: 'grab' },
      extraArgs: ['--fake-uinput', sink],
    });
    const grab = await h.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 20_000 });
    expect(grab.selection).toBe(ClipboardSelection.Primary);
    // The same client announces again (request=0), now without CLIPBOARD_SELECTION; a pointer
    // state after it reaching the sink says the daemon has read it.
    await h.sim.send({ type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.of(Capability.ClipboardByDemand, Capability.Reply) });
    await h.sim.mouse(10, 20, 0);
    await expect.poll(() => statSync(sink).size, { timeout: 20_000 }).toBeGreaterThan(0);
    const helper = helperPid(h.pid) as number;
    process.kill(helper, 'SIGKILL');
    // Its grab of PRIMARY is released on its behalf, which this client can no longer be sent; then
    // it is started again.
    await expect.poll(() => helperPid(h.pid) ?? helper, { timeout: 20_000 }).not.toBe(helper);
    h.sim.consumeAll();
    h.sim.connect();
    await h.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 20_000 });
    expect(alive(h.pid)).toBe(true);
  }, 120_000);
});
