import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ABS_X, ABS_Y, BTN_LEFT, decodeInputEvents, EV_ABS, EV_KEY, EV_SYN } from '../../src/platform/uinput/input-event.js';
import {
  type AnnounceCapabilitiesMessage,
  Capability,
  CapabilitySet,
  ChunkPort,
  ClipboardSelection,
  ClipboardType,
  FileXferResult,
  type Message,
  MessageType,
  ReplyError,
} from '../../src/protocol/index.js';
import { CLIENT_PROFILES, type ClientProfile } from '../../src/sim/profiles.js';
import type { ClientSimulator } from '../../src/sim/simulator.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { ReplugPort } from '../support/replug-port.js';
import { startXvfb, type XServer } from '../support/x-server.js';
import { xclipCopy, xclipPaste, xclipTargets } from '../support/xclip.js';

const CLIP = ClipboardSelection.Clipboard;
const PRIMARY = ClipboardSelection.Primary;
const L = 0x02;
const SYN = [EV_SYN, 0, 0];
/** What the guest copies and the host sends: long enough to span chunks of 1024 and 2048 bytes. */
const GUEST_TEXT = `copied in the guest ${'g'.repeat(2500)}`;
const HOST_TEXT = `copied on the host ${'h'.repeat(2500)}`;
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(3000, 0x42)]);
/** A target only the helper offers for UTF-8 text (xclip offers the one it was given): it holds the X selection for the client. */
const HELPER_TEXT_TARGET = 'text/plain;charset=utf-8';
/** The size the start-up MONITORS_CONFIG asks for. */
const CLIENT_MONITOR = { width: 1280, height: 720 };
const SLOW = 15_000;
/** The clipboard messages the agent may start with (CLIPBOARD only answers a request). */
const CLIPBOARD_OPENERS = new Set([MessageType.ClipboardGrab, MessageType.ClipboardRequest, MessageType.ClipboardRelease]);

/**
 * The agent's capability word with these modules and a session served: mouse, monitors config,
 * reply, sparse monitors, graphics device info, and the clipboard's 5, 6, 8, 10, 16, 17 (file
 * transfer is served, so no 13). Whoever the client is, the agent announces the same.
 */
const AGENT_CAPS = CapabilitySet.of(0, 1, 2, 7, 15, 5, 6, 8, 10, 16, 17);

const u32 = (...values: number[]): Buffer => Buffer.concat(values.map((v) => Buffer.from(new Uint32Array([v]).buffer)));

/** Whether the agent sends this client the selection prefix / grab serials (its own announcement has both). */
const hasSelection = (p: ClientProfile): boolean => p.caps?.has(Capability.ClipboardSelection) ?? false;
const hasSerial = (p: ClientProfile): boolean => p.caps?.has(Capability.ClipboardGrabSerial) ?? false;
const byDemand = (p: ClientProfile): boolean => p.caps?.has(Capability.ClipboardByDemand) ?? false;
const carries = (p: ClientProfile, type: ClipboardType): boolean => byDemand(p) && p.clipboardTypes.includes(type);

/** The bytes of a clipboard payload as this client must see them: [selection prefix] [serial] fields. */
function clipboardPayload(p: ClientProfile, selection: ClipboardSelection, serial: number | undefined, rest: Buffer): Buffer {
  const prefix = hasSelection(p) ? Buffer.from([selection, 0, 0, 0]) : Buffer.alloc(0);
  const serialBytes = serial !== undefined && hasSerial(p) ? u32(serial) : Buffer.alloc(0);
  return Buffer.concat([prefix, serialBytes, rest]);
}

/** The X screen's size as xrandr reports it. */
function screenSize(env: NodeJS.ProcessEnv): string {
  const m = /current (\d+) x (\d+)/.exec(execFileSync('xrandr', ['--current'], { env: { ...process.env, ...env } }).toString());
  return `${m?.[1]}x${m?.[2]}`;
}

describe.each(CLIENT_PROFILES.map((p) => [p.name, p.source, p] as const))('the agent and its session helper under the %s client profile (%s)', (_name, _source, profile) => {
  let x: XServer;
  let root: string;
  let events: string;
  let port: ReplugPort;
  let h: Harness;
  /** Every simulator the port had (a replug makes a new one), to look at everything the agent sent. */
  const sims = new Set<ClientSimulator>();
  /** The simulator on the port now. */
  const sim = (): ClientSimulator => {
    sims.add(port.sim);
    return port.sim;
  };
  const logs = (): string => h.logs();

  /** The payload bytes the agent sent for a message this client received. */
  const wire = (m: Message): Buffer | undefined => sim().recordOf(m)?.wire?.payload;
  /** Every pointer event the fake tablet got so far, as [type, code, value]. */
  const injected = (): number[][] => (existsSync(events) ? decodeInputEvents(readFileSync(events)).map((e) => [e.type, e.code, e.value]) : []);
  /** Every message the agent sent since the port was (re)plugged. */
  const fromAgent = (): Message[] => sim().records.flatMap((r) => (r.from === 'agent' && r.message ? [r.message] : []));

  /** The agent's announcement of a served session (the helper's bits), request=1 after a port opening. */
  const helperServed = (request: boolean): Promise<AnnounceCapabilitiesMessage> =>
    sim().expect(MessageType.AnnounceCapabilities, { where: (m) => m.request === request && m.caps.has(Capability.ClipboardByDemand), timeoutMs: SLOW });

  /**
   * A new client, the way this profile's host makes one: spice-server's CLIENT_DISCONNECTED and
   * a new client (which announces, or just starts sending), or for qemu-vdagent the port closed and
   * opened again. Resolves once the client has the agent's answer (where it gets one).
   */
  async function freshClient(): Promise<void> {
    if (profile.sendsClientDisconnected) {
      await sim().disconnect();
      sim().consumeAll();
      sim().connect();
      if (profile.caps) await helperServed(false);
      return;
    }
    await port.replug();
    await helperServed(true);
  }

  /**
   * Resolves once the helper has handled what the client sent so far: the client asks for a type
   * nobody here offers (JPEG), which the agent answers NONE after the messages before it (one
   * ordered path).
   */
  async function helperCaughtUp(): Promise<void> {
    await sim().send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.ImageJpg });
    await sim().expect(MessageType.Clipboard, { where: (m) => m.dataType === ClipboardType.None, timeoutMs: SLOW });
  }

  beforeAll(async () => {
    x = await startXvfb();
    root = mkdtempSync(join(tmpdir(), `profile-${profile.name}-`));
    chmodSync(root, 0o755);
    events = join(root, 'events');
    const actions = makeActionsDir(root, { clipboard: '', 'file-xfer': '', mouse: '', resolution: '', 'graphics-device-info': '' });
    port = await ReplugPort.create(root, { profile, monitors: [CLIENT_MONITOR] });
    h = await startPtyHarness({ actionsDirs: [actions], session: 'current', env: { ...x.env, HOME: root }, extraArgs: ['--port', port.path, '--fake-uinput', events] });
    // The port opens before the helper runs; its bits come in a later announcement.
    await sim().expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.ClipboardByDemand), timeoutMs: SLOW });
    // A client that sizes the desktop does it now, so the tablet is not re-created under a later test.
    await freshClient();
    const resized = `tablet re-created for a ${CLIENT_MONITOR.width}x${CLIENT_MONITOR.height} desktop`;
    if (profile.monitorsConfig([CLIENT_MONITOR])) await vi.waitFor(() => expect(logs()).toContain(resized), { timeout: SLOW, interval: 50 });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await port?.close();
    await x?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log (${profile.name}) ---\n${logs().slice(-20_000)}\n`);
  });

  it('start-up: the agent announces first (request=1, port 1); the client gets an answer only if it asked', async () => {
    await port.replug();
    await helperServed(true);
    const opening = sim().records.find((r) => r.from === 'agent');
    expect(opening?.message).toMatchObject({ type: MessageType.AnnounceCapabilities, request: true });
    expect(opening?.wire?.port).toBe(ChunkPort.Client);
    expect(opening?.wire?.payload).toEqual(u32(1, ...AGENT_CAPS.toWords()));
    // A client that asks (request=1) is answered; qemu-vdagent answers the agent's request instead.
    if (profile.announcesOnConnect) {
      sim().connect();
      const answer = await helperServed(false);
      expect(wire(answer)).toEqual(u32(0, ...AGENT_CAPS.toWords()));
    }
    const clientTypes = (): MessageType[] => sim().records.filter((r) => r.from !== 'agent' && r.message).map((r) => (r.message as Message).type);
    const expected: Record<string, MessageType[]> = {
      'spice-gtk-0.42': [MessageType.AnnounceCapabilities, MessageType.MaxClipboard, MessageType.GraphicsDeviceInfo, MessageType.MonitorsConfig],
      'legacy-clipboard': [MessageType.AnnounceCapabilities, MessageType.GraphicsDeviceInfo, MessageType.MonitorsConfig],
      'never-announces': [MessageType.GraphicsDeviceInfo, MessageType.MonitorsConfig],
      'no-monitor-position': [MessageType.AnnounceCapabilities, MessageType.MaxClipboard, MessageType.GraphicsDeviceInfo, MessageType.MonitorsConfig],
      'qemu-vdagent': [MessageType.AnnounceCapabilities],
    };
    await expect.poll(() => new Set(clientTypes()), { timeout: SLOW }).toEqual(new Set(expected[profile.name]));
    // qemu-vdagent's answer is request=0 on port 1 with its one word 0x00020061.
    if (profile.name === 'qemu-vdagent') {
      const answer = sim().records.find((r) => r.from === 'client' && r.message?.type === MessageType.AnnounceCapabilities)?.message;
      expect(answer).toMatchObject({ request: false });
      expect(answer?.type === MessageType.AnnounceCapabilities && answer.caps.toString()).toBe(profile.caps?.toString());
    }
  }, 30_000);

  it('mouse: MOUSE_STATE on the profile’s chunk port reaches the tablet', async () => {
    const before = injected().length;
    await sim().mouse(100, 200, 0, 0);
    await sim().mouse(100, 200, L, 0);
    await sim().mouse(100, 200, 0, 0);
    const sent = sim().records.filter((r) => r.message?.type === MessageType.MouseState);
    expect(new Set(sent.map((r) => r.from))).toEqual(new Set([profile.serverPort === ChunkPort.Server ? 'server' : 'client']));
    const expected = [[EV_ABS, ABS_X, 100], [EV_ABS, ABS_Y, 200], SYN, [EV_KEY, BTN_LEFT, 1], SYN, [EV_KEY, BTN_LEFT, 0], SYN];
    await expect.poll(() => injected().slice(before), { timeout: SLOW }).toEqual(expected);
  });

  it('monitors: the agent answers each MONITORS_CONFIG with REPLY(2, SUCCESS) and sizes the screen; a client that sends none gets no REPLY', async () => {
    await freshClient();
    if (!profile.monitorsConfig([CLIENT_MONITOR])) {
      await new Promise((r) => setTimeout(r, 500));
      expect(fromAgent().filter((m) => m.type === MessageType.Reply)).toEqual([]);
      expect(sim().records.filter((r) => r.message?.type === MessageType.MonitorsConfig)).toEqual([]);
      return;
    }
    const reply = await sim().expect(MessageType.Reply, { timeoutMs: SLOW });
    expect(reply).toEqual({ type: MessageType.Reply, replyTo: MessageType.MonitorsConfig, error: ReplyError.Success });
    expect(wire(reply)).toEqual(u32(MessageType.MonitorsConfig, ReplyError.Success));
    await expect.poll(() => screenSize(x.env), { timeout: SLOW }).toBe(`${CLIENT_MONITOR.width}x${CLIENT_MONITOR.height}`);
  }, 30_000);

  it('clipboard, guest to client, text: GRAB and CLIPBOARD in the layout this client negotiated, or nothing for a client without the clipboard', async () => {
    await freshClient();
    // The helper has forgotten the last client (and given up what it held for it) before the guest copies.
    await helperCaughtUp();
    sim().consumeAll();
    await xclipCopy(x.env, 'primary', 'UTF8_STRING', 'primary text');
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', GUEST_TEXT);
    if (!byDemand(profile)) {
      await new Promise((r) => setTimeout(r, 1000));
      expect(fromAgent().filter((m) => CLIPBOARD_OPENERS.has(m.type))).toEqual([]);
      return;
    }
    // PRIMARY exists only with the selection prefix: a client without it hears only of CLIPBOARD.
    if (hasSelection(profile)) {
      const primary = await sim().expect(MessageType.ClipboardGrab, { where: (m) => m.selection === PRIMARY, timeoutMs: SLOW });
      expect(wire(primary)).toEqual(clipboardPayload(profile, PRIMARY, 0, u32(ClipboardType.Utf8Text)));
    }
    const grab = await sim().expect(MessageType.ClipboardGrab, { where: (m) => m.selection === CLIP, timeoutMs: SLOW });
    expect(wire(grab)).toEqual(clipboardPayload(profile, CLIP, 0, u32(ClipboardType.Utf8Text)));
    expect(fromAgent().filter((m) => m.type === MessageType.ClipboardGrab)).toHaveLength(hasSelection(profile) ? 2 : 1);
    expect(sim().discardedGrabs).toEqual([]);
    await sim().send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text });
    const data = await sim().expect(MessageType.Clipboard, { timeoutMs: SLOW });
    expect(wire(data)).toEqual(clipboardPayload(profile, CLIP, undefined, Buffer.concat([u32(ClipboardType.Utf8Text), Buffer.from(GUEST_TEXT)])));
  }, 30_000);

  it('clipboard, client to guest, text: the agent asks only at the paste, in this client’s layout; the guest gets the text without a NUL', async () => {
    sim().consumeAll();
    await sim().grab(CLIP, [ClipboardType.Utf8Text]);
    const grabSent = sim().records.filter((r) => r.from === 'client' && r.message?.type === MessageType.ClipboardGrab).at(-1)?.message;
    // After the agent's grab 0: spice-gtk expects 1 next and numbers its own grab 1; qemu-vdagent
    // numbers its grab from the last serial it saw, so its grabs start at 0 too.
    if (hasSerial(profile)) expect(grabSent).toMatchObject({ serial: profile.serials === 'qemu-vdagent' ? 0 : 1 });
    await helperCaughtUp();
    const pasted = xclipPaste(x.env, 'clipboard', 'UTF8_STRING');
    if (!byDemand(profile)) {
      // A client that never announced has no clipboard: its GRAB is refused, nothing is asked of it.
      expect(await pasted).not.toEqual(Buffer.from(HOST_TEXT));
      expect(fromAgent().filter((m) => m.type === MessageType.ClipboardRequest)).toEqual([]);
      expect(logs()).toMatch(/CLIPBOARD_GRAB.*(dropped|refused)/);
      return;
    }
    const request = await sim().expect(MessageType.ClipboardRequest, { timeoutMs: SLOW });
    expect(wire(request)).toEqual(clipboardPayload(profile, CLIP, undefined, u32(ClipboardType.Utf8Text)));
    await sim().sendText(CLIP, ClipboardType.Utf8Text, HOST_TEXT);
    expect((await pasted)?.toString()).toBe(HOST_TEXT);
  }, 30_000);

  it('clipboard, guest to client, image: GRAB of IMAGE_PNG and the PNG bytes, where the client carries images', async () => {
    await freshClient();
    // The helper has forgotten the last client (and given up what it held for it) before the guest copies.
    await helperCaughtUp();
    sim().consumeAll();
    await xclipCopy(x.env, 'clipboard', 'image/png', PNG);
    if (!carries(profile, ClipboardType.ImagePng)) {
      // The agent offers what the guest has; a client without images (qemu-vdagent) just finds no type it takes.
      if (!byDemand(profile)) {
        await new Promise((r) => setTimeout(r, 1000));
        expect(fromAgent().filter((m) => m.type === MessageType.ClipboardGrab)).toEqual([]);
      } else {
        const grab = await sim().expect(MessageType.ClipboardGrab, { where: (m) => m.selection === CLIP, timeoutMs: SLOW });
        expect(wire(grab)).toEqual(clipboardPayload(profile, CLIP, 0, u32(ClipboardType.ImagePng)));
      }
      return;
    }
    const grab = await sim().expect(MessageType.ClipboardGrab, { where: (m) => m.selection === CLIP, timeoutMs: SLOW });
    expect(wire(grab)).toEqual(clipboardPayload(profile, CLIP, 0, u32(ClipboardType.ImagePng)));
    await sim().send({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.ImagePng });
    const data = await sim().expect(MessageType.Clipboard, { timeoutMs: SLOW });
    expect(wire(data)).toEqual(clipboardPayload(profile, CLIP, undefined, Buffer.concat([u32(ClipboardType.ImagePng), PNG])));
  }, 30_000);

  // Profiles without images or files get no test of them: there is nothing they could send.
  if (carries(profile, ClipboardType.ImagePng)) it('clipboard, client to guest, image: REQUEST of IMAGE_PNG at the paste, the bytes pasted as sent', async () => {
    sim().consumeAll();
    await sim().grab(CLIP, [ClipboardType.ImagePng]);
    await helperCaughtUp();
    const pasted = xclipPaste(x.env, 'clipboard', 'image/png');
    const request = await sim().expect(MessageType.ClipboardRequest, { timeoutMs: SLOW });
    expect(wire(request)).toEqual(clipboardPayload(profile, CLIP, undefined, u32(ClipboardType.ImagePng)));
    await sim().send({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.ImagePng, data: PNG });
    expect(await pasted).toEqual(PNG);
  }, 30_000);

  if (byDemand(profile) && profile.sendsClientDisconnected)
    it('clipboard between clients: a guest copy made while no client has announced is told to the next one, in its layout, once it has', async () => {
      // The client holds the clipboard, so that the helper forgetting it shows: it gives the X selection up.
      await sim().grab(CLIP, [ClipboardType.Utf8Text]);
      await expect.poll(() => xclipTargets(x.env, 'clipboard'), { timeout: SLOW }).toContain(HELPER_TEXT_TARGET);
      await sim().disconnect();
      // Only a copy made once the agent took the disconnect in is made while no client has announced.
      await expect.poll(() => xclipTargets(x.env, 'clipboard'), { timeout: SLOW }).not.toContain(HELPER_TEXT_TARGET);
      sim().consumeAll();
      const before = fromAgent().length;
      await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'copied between clients');
      await new Promise((r) => setTimeout(r, 500));
      expect(fromAgent().slice(before).filter((m) => CLIPBOARD_OPENERS.has(m.type))).toEqual([]);
      sim().connect();
      const grab = await sim().expect(MessageType.ClipboardGrab, { where: (m) => m.selection === CLIP, timeoutMs: SLOW });
      expect(wire(grab)).toEqual(clipboardPayload(profile, CLIP, 0, u32(ClipboardType.Utf8Text)));
    }, 30_000);

  if (byDemand(profile))
    it('clipboard after the agent announces again mid-session (a module switched off): the client’s next grab still counts', async () => {
      const before = fromAgent().length;
      await freshClient();
      await helperCaughtUp();
      sim().consumeAll();
      for (const text of ['one', 'two']) {
        await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', text);
        await sim().expect(MessageType.ClipboardGrab, { where: (m) => m.selection === CLIP, timeoutMs: SLOW });
      }
      const entry = join(root, 'actions.d', 'graphics-device-info');
      unlinkSync(entry);
      try {
        await sim().expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request && !m.caps.has(Capability.GraphicsDeviceInfo), timeoutMs: SLOW });
        // spice-gtk goes on counting; qemu-vdagent starts again at 0 on hearing the announcement.
        await sim().grab(CLIP, [ClipboardType.Utf8Text]);
        const grabSent = sim().records.filter((r) => r.from === 'client' && r.message?.type === MessageType.ClipboardGrab).at(-1)?.message;
        expect(fromAgent().slice(before).filter((m) => m.type === MessageType.ClipboardGrab && m.selection === CLIP).length).toBeGreaterThanOrEqual(2);
        expect(sim().discardedGrabs).toEqual([]);
        if (hasSerial(profile)) expect(grabSent).toMatchObject({ serial: profile.serials === 'qemu-vdagent' ? 0 : expect.any(Number) });
        if (hasSerial(profile) && profile.serials === 'spice-gtk') expect(grabSent).not.toMatchObject({ serial: 0 });
        await helperCaughtUp();
        const pasted = xclipPaste(x.env, 'clipboard', 'UTF8_STRING');
        await sim().expect(MessageType.ClipboardRequest, { timeoutMs: SLOW });
        await sim().sendText(CLIP, ClipboardType.Utf8Text, HOST_TEXT);
        expect((await pasted)?.toString()).toBe(HOST_TEXT);
      } finally {
        writeFileSync(entry, '', { mode: 0o644 });
        await sim().expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.GraphicsDeviceInfo), timeoutMs: SLOW });
      }
    }, 45_000);

  if (profile.fileTransfer) it('file transfer: STATUS bytes as this client understands them (detailed errors only with bit 14)', async () => {
    sim().consumeAll();
    const content = Buffer.alloc(5000, 0x61);
    await sim().send({ type: MessageType.FileXferStart, id: 1, keyfile: `[vdagent-file-xfer]\nname=from-${profile.name}.txt\nsize=${content.length}\n` });
    const ready = await sim().expect(MessageType.FileXferStatus, { where: (m) => m.id === 1, timeoutMs: SLOW });
    expect(wire(ready)).toEqual(u32(1, FileXferResult.CanSendData));
    await sim().send({ type: MessageType.FileXferData, id: 1, data: content });
    const done = await sim().expect(MessageType.FileXferStatus, { where: (m) => m.id === 1, timeoutMs: SLOW });
    expect(wire(done)).toEqual(u32(1, FileXferResult.Success));
    expect(readFileSync(join(root, `from-${profile.name}.txt`))).toEqual(content);
    // More than any disk holds: NOT_ENOUGH_SPACE with the free bytes for a client with bit 14, else plain ERROR.
    await sim().send({ type: MessageType.FileXferStart, id: 2, keyfile: `[vdagent-file-xfer]\nname=huge.bin\nsize=${2 ** 52}\n` });
    const refused = await sim().expect(MessageType.FileXferStatus, { where: (m) => m.id === 2, timeoutMs: SLOW });
    const payload = wire(refused);
    if (profile.caps?.has(Capability.FileXferDetailedErrors)) {
      expect(payload?.subarray(0, 8)).toEqual(u32(2, FileXferResult.NotEnoughSpace));
      expect(payload).toHaveLength(16);
    } else {
      expect(payload).toEqual(u32(2, FileXferResult.Error));
    }
  }, 30_000);

  it('reconnect: a new client is served again, and pointer input made while the port was unplugged neither crashes the agent nor goes unlogged when dropped', async () => {
    if (profile.sendsClientDisconnected) {
      await freshClient();
      const before = injected().length;
      await sim().mouse(10, 10, 0, 0);
      await expect.poll(() => injected().length, { timeout: SLOW }).toBeGreaterThan(before);
    }
    const before = injected().length;
    sim().unplug();
    // Made while no agent listens: qemu-vdagent queues it for the next agent, spice-server drops it.
    await sim().mouse(300, 400, 0, 0);
    await port.replug();
    await helperServed(true);
    if (profile.queuesPointerWhileUnplugged) {
      // It reaches the new agent before the answer to the agent's announcement.
      const order = sim().records.filter((r) => r.from !== 'agent').map((r) => r.message?.type);
      expect(order.slice(0, 2)).toEqual([MessageType.MouseState, MessageType.AnnounceCapabilities]);
      await expect
        .poll(() => injected().slice(before).some((e) => e[0] === EV_ABS && e[2] === 300) || /MOUSE_STATE.*(dropped|ignored)/.test(logs()), { timeout: SLOW })
        .toBe(true);
    }
    if (profile.announcesOnConnect) {
      sim().connect();
      await helperServed(false);
    }
    // Still serving: the next pointer state reaches the tablet.
    await sim().mouse(500, 300, 0, 0);
    await expect.poll(() => injected().slice(before).some((e) => e[0] === EV_ABS && e[1] === ABS_X && e[2] === 500), { timeout: SLOW }).toBe(true);
    expect(logs()).not.toMatch(/uncaught|unhandled/i);
  }, 30_000);

  it('everything the agent sent this client went on chunk port 1 and decoded in the layout the client negotiated', () => {
    const agentRecords = [...sims].flatMap((s) => s.records.filter((r) => r.from === 'agent'));
    expect(agentRecords.length).toBeGreaterThan(0);
    expect(agentRecords.filter((r) => r.error || r.wire?.port !== ChunkPort.Client)).toEqual([]);
  });
});
