import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClipboardModule } from '../../src/actions/clipboard/module.js';
import { Capability, ClipboardSelection, ClipboardType, type Message, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startBusDaemon, type BusDaemon } from '../support/dbus-daemon.js';
import { FakeLogind } from '../support/fake-logind.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { helperPid, stopInEventLoopWait, unreadSocketBytes } from '../support/proc.js';
import { startXvfb, type XServer } from '../support/x-server.js';
import { xclipCopy, xclipPaste, xclipTargets } from '../support/xclip.js';

/** A target only the helper offers for UTF-8 text (xclip offers the one it was given): the client's grab took the X selection. */
const HELPER_TEXT_TARGET = 'text/plain;charset=utf-8';

/** The bits the clipboard module adds to the announcement (5, 6, 8, 10, 16, 17: its unit test pins them). */
const CLIPBOARD_BITS = new ClipboardModule().capabilities;
const CLIP = ClipboardSelection.Clipboard;

/** Waits until the agent announced the clipboard bits (the helper started the module). */
async function clipboardServed(h: Harness): Promise<void> {
  await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.ClipboardByDemand), timeoutMs: 15_000 });
}

/**
 * Resolves once the helper has handled what the client sent so far: the client asks for a type
 * nobody offers (JPEG), which the agent answers NONE after the messages before it (one ordered path).
 */
async function helperCaughtUp(h: Harness): Promise<void> {
  await h.sim.send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.ImageJpg });
  await h.sim.expect(MessageType.Clipboard, { where: (m) => m.dataType === ClipboardType.None, timeoutMs: 5000 });
}

describe('copy and paste through the daemon, its session helper and a real X server', () => {
  let x: XServer;
  let root: string;
  let actions: string;
  let h: Harness;

  beforeEach(async () => {
    x = await startXvfb();
    root = mkdtempSync(join(tmpdir(), 'clipboard-'));
    chmodSync(root, 0o755);
    actions = makeActionsDir(root, { clipboard: '' });
    h = await startPtyHarness({ actionsDirs: [actions], session: 'current', env: { ...x.env, HOME: root } });
    await clipboardServed(h);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs()}\n`);
    await h.stop();
    await x.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('tells the client of a guest copy, and sends the text only when the client asks', async () => {
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'copied in the guest\n');
    const grab = await h.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 5000 });
    expect(grab).toEqual({ type: MessageType.ClipboardGrab, selection: CLIP, serial: 0, types: [ClipboardType.Utf8Text] });
    await h.sim.send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text });
    const data = await h.sim.expect(MessageType.Clipboard, { timeoutMs: 5000 });
    expect([data.dataType, data.data.toString()]).toEqual([ClipboardType.Utf8Text, 'copied in the guest\n']);
  });

  it('tells the client of a guest PRIMARY selection with its own serial', async () => {
    await xclipCopy(x.env, 'primary', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const grab = await h.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 5000 });
    expect(grab).toEqual({ type: MessageType.ClipboardGrab, selection: ClipboardSelection.Primary, serial: 0, types: [ClipboardType.ImagePng] });
  });

  it('lets a guest application paste what the client copied, asking the client only at the paste', async () => {
    await h.sim.send({ type: MessageType.ClipboardGrab, selection: CLIP, serial: 0, types: [ClipboardType.Utf8Text] });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.sim.records.some((r) => r.message?.type === MessageType.ClipboardRequest)).toBe(false);
    const pasted = xclipPaste(x.env, 'clipboard', 'UTF8_STRING');
    const request = await h.sim.expect(MessageType.ClipboardRequest, { timeoutMs: 5000 });
    expect(request).toEqual({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text });
    await h.sim.send({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('from the host') });
    expect((await pasted)?.toString()).toBe('from the host');
  });

  it('takes a client grab with serial 0 after it re-announced, as qemu-vdagent restarts its serials on every announcement', async () => {
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'first');
    await h.sim.expect(MessageType.ClipboardGrab, { where: (m) => m.serial === 0, timeoutMs: 5000 });
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'second');
    await h.sim.expect(MessageType.ClipboardGrab, { where: (m) => m.serial === 1, timeoutMs: 5000 }); // the counter is 2 now
    h.sim.consumeAll();
    writeFileSync(join(actions, 'graphics-device-info'), ''); // a reload: announced again with request=0
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request && m.caps.has(Capability.GraphicsDeviceInfo), timeoutMs: 5000 });
    await h.sim.send({ type: MessageType.ClipboardGrab, selection: CLIP, serial: 0, types: [ClipboardType.Utf8Text] });
    // xclip still owns 'second' until the helper takes the selection: paste only after that.
    await expect.poll(() => xclipTargets(x.env, 'clipboard'), { timeout: 5000 }).toContain(HELPER_TEXT_TARGET);
    const pasted = xclipPaste(x.env, 'clipboard', 'UTF8_STRING');
    await h.sim.expect(MessageType.ClipboardRequest, { timeoutMs: 5000 });
    await h.sim.send({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('copied in the VNC viewer\0') });
    expect((await pasted)?.toString()).toBe('copied in the VNC viewer');
  });

  it('keeps what the helper told the client that left from the next client, even when it arrives after that client announced', async () => {
    // The owner quits after one paste: the guest's clipboard then has no owner, which the helper
    // reports as a RELEASE as soon as it sees it (no round trip to the owner in between).
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'pasted once', ['-loops', '1']);
    await h.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 5000 });
    await helperCaughtUp(h);
    const helper = helperPid(h.pid) as number;
    // The helper stops reading: the owner's exit waits in its X connection, then the client change
    // in its channel, in that order, as when a busy helper finds both at once.
    await stopInEventLoopWait(helper);
    let answer: Message;
    try {
      const before = unreadSocketBytes(helper);
      expect((await xclipPaste(x.env, 'clipboard', 'UTF8_STRING'))?.toString()).toBe('pasted once');
      await expect.poll(() => unreadSocketBytes(helper), { timeout: 10_000 }).toBeGreaterThan(before);
      await h.sim.disconnect();
      h.sim.consumeAll();
      h.sim.connect();
      answer = await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    } finally {
      process.kill(helper, 'SIGCONT');
    }
    // Whatever the helper sent before this answer has reached the daemon.
    await helperCaughtUp(h);
    const toNewClient = h.sim.records.slice(h.sim.records.findIndex((r) => r.message === answer)).flatMap((r) => (r.from === 'agent' && r.message ? [r.message.type] : []));
    expect(toNewClient).not.toContain(MessageType.ClipboardRelease);
    expect(toNewClient).not.toContain(MessageType.ClipboardGrab);
  });

  it('drops the clipboard bits from the next announcement when its entry goes, and its messages from then on', async () => {
    h.sim.consumeAll();
    unlinkSync(join(actions, 'clipboard'));
    const after = await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    for (const bit of CLIPBOARD_BITS) expect(after.caps.has(bit), `bit ${bit}`).toBe(false);
    await h.sim.send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text });
    await expect.poll(() => h.logs(), { timeout: 5000 }).toContain('CLIPBOARD_REQUEST dropped: no enabled module handles it');
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'nobody hears this');
    await new Promise((r) => setTimeout(r, 500));
    expect(h.sim.records.some((r) => r.message?.type === MessageType.ClipboardGrab || r.message?.type === MessageType.Clipboard)).toBe(false);

    writeFileSync(join(actions, 'clipboard'), '', { mode: 0o644 });
    await clipboardServed(h);
    // The module starts again and tells the client what the guest holds now.
    const grab = await h.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 5000 });
    expect(grab.types).toEqual([ClipboardType.Utf8Text]);
  });
});

describe.runIf(process.getuid?.() === 0)('guest clipboard grabs when the session changes (spec §7, §10)', () => {
  // The helper needs nothing of its user here but the uid: nobody does.
  const USER = 'nobody';
  const NOBODY = 65534;
  let root: string;
  let bus: BusDaemon;
  let logind: FakeLogind;
  let first: XServer;
  let second: XServer;
  let h: Harness;
  let actions: string;
  const session = (id: string, display: string) => ({ id, user: USER, uid: NOBODY, gid: NOBODY, display });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'clipboard-sessions-'));
    chmodSync(root, 0o755);
    bus = await startBusDaemon(join(root, 'system_bus_socket'));
    logind = await FakeLogind.start(bus.address);
    [first, second] = await Promise.all([startXvfb(), startXvfb()]);
    actions = makeActionsDir(root, { clipboard: '' });
  });

  afterAll(async () => {
    logind.stop();
    await bus.stop();
    await Promise.all([first.stop(), second.stop()]);
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    h = await startPtyHarness({ actionsDirs: [actions], session: 'auto', env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs()}\n`);
    await h.stop();
    logind.clear();
  });

  /** A guest application on `x` copies; resolves when the client heard of it. */
  async function guestCopies(x: XServer, text: string): Promise<void> {
    h.sim.consumeAll();
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', text);
    await h.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 10_000 });
  }

  const released = () => h.sim.expect(MessageType.ClipboardRelease, { timeoutMs: 5000 });

  it('announces the clipboard only while a graphical session has a helper serving it', async () => {
    expect(h.sim.agentCaps?.has(Capability.ClipboardByDemand)).toBe(false);
    logind.add(session('0', first.display));
    logind.activate('0');
    await clipboardServed(h);
    logind.remove('0');
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.caps.has(Capability.ClipboardByDemand), timeoutMs: 5000 });
  });

  it('releases the guest grab when another session takes the seat', async () => {
    logind.add(session('1', first.display));
    logind.activate('1');
    await clipboardServed(h);
    await guestCopies(first, 'from session 1');
    logind.add(session('2', second.display));
    logind.activate('2');
    expect((await released()).selection).toBe(CLIP);
  });

  it('releases the guest grab when the session ends, and when its helper crashes', async () => {
    logind.add(session('3', first.display));
    logind.activate('3');
    await clipboardServed(h);
    await guestCopies(first, 'held');
    // The helper may still be asking xclip for the copy's targets (it can look twice as it starts):
    // killed meanwhile, xclip's answer to its window fails with BadWindow, and xclip, the guest
    // application here, exits on that X error, leaving nothing for the restarted helper to grab.
    await new Promise((r) => setTimeout(r, 300));
    const crashed = helperPid(h.pid) as number;
    // Everything from here on comes after the crash: the release, then the restarted helper's grab
    // (which may arrive in the same read as the release, so nothing is marked consumed in between).
    h.sim.consumeAll();
    process.kill(crashed, 'SIGKILL');
    const release = await released();
    expect(release.selection).toBe(CLIP);
    // The restarted helper finds the owner still there and grabs again: a grab of the crashed
    // helper that came after consumeAll (a second report of the copy) is not that one.
    h.sim.consumeThrough(release);
    await h.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 15_000 });
    h.sim.consumeAll();
    logind.remove('3');
    expect((await released()).selection).toBe(CLIP);
  });

  it('answers NONE while the session is locked, so a locked desktop’s clipboard stays in the guest', async () => {
    logind.add(session('4', first.display));
    logind.activate('4');
    await clipboardServed(h);
    await guestCopies(first, 'secret');
    logind.change('4', { LockedHint: true });
    await new Promise((r) => setTimeout(r, 300));
    await h.sim.send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text });
    const locked = await h.sim.expect(MessageType.Clipboard, { timeoutMs: 5000 });
    expect(locked.dataType).toBe(ClipboardType.None);
    logind.change('4', { LockedHint: false });
    await new Promise((r) => setTimeout(r, 300));
    await h.sim.send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text });
    const unlocked = await h.sim.expect(MessageType.Clipboard, { timeoutMs: 5000 });
    expect(unlocked.data.toString()).toBe('secret');
  });
});
