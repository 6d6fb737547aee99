import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, CapabilitySet, ChunkPort, ClipboardSelection, ClipboardType, type Message, MessageType } from '../../src/protocol/index.js';
import { cacheRoot, freshRunDir } from './support/cache.js';
import { buildDataDisk } from './support/data-disk.js';
import { DESKTOP_DISPLAY, DESKTOP_USER, desktopImage } from './support/desktop-image.js';
import { guestImage } from './support/guest-image.js';
import { LineChannel } from './support/line-channel.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { agentJournal, journalMatch } from './support/agent-journal.js';
import { ProbeQuestions } from './support/probe-questions.js';
import { bootGuest, GUEST_PORTS, type RunningGuest } from './support/qemu.js';
import { Clip, RfbClient } from './support/rfb-client.js';
import { SocketPort } from './support/socket-port.js';
import { agentBytes, capabilityWord, WireReader } from './support/vdagent-wire.js';

// QEMU's own `qemu-vdagent` chardev as the agent's client (no SPICE): the host's pointer and
// clipboard from QMP and a VNC client, delivered by QEMU on com.redhat.spice.0. One boot of the
// desktop guest (Xorg on QXL, a user logged in on seat0); the agent and xclip first, then the probe
// plays the agent on the same port to read QEMU's bytes exactly.

const BOOT_MS = 600_000;
const STEP_MS = 120_000;
/** QEMU's absolute input axis runs 0..INPUT_EVENT_ABS_MAX. */
const ABS_MAX = 0x7fff;
/** The id of the agent's port (the chardev `vdagent` behind it stays when the port is unplugged). */
const PORT_ID = 'vdagent-port';
const SPICE_PATH = `/dev/virtio-ports/${GUEST_PORTS.spice}`;
/** EV_KEY BTN_LEFT as the probe reports it: `event EVN 1 272 VALUE`. */
const BTN_LEFT = 272;
/** xclip on the CLIPBOARD selection, run in the guest as the desktop's user on its display. */
const XCLIP = ['/usr/sbin/runuser', '-u', DESKTOP_USER.name, '--', '/usr/bin/env', `DISPLAY=${DESKTOP_DISPLAY}`, '/usr/bin/xclip', '-selection', 'clipboard'];
/** What a client-role agent of the test announces: mouse, and the clipboard as QEMU speaks it. */
const RAW_AGENT_CAPS = CapabilitySet.of(Capability.MouseState, Capability.ClipboardByDemand, Capability.ClipboardSelection, Capability.ClipboardGrabSerial);

const phases = new Phases();
const ports: SocketPort[] = [];
let guest: RunningGuest;
let probe: LineChannel;
let questions: ProbeQuestions;
let vnc: RfbClient | undefined;
let agentPid: number;
/** QEMU's trace of the capabilities the agent announced to qemu-vdagent (`vdagent_peer_cap`). */
let traceLog: string;
/** The VGA console's size: QEMU scales the absolute axes to it for the agent. */
let screen: { width: number; height: number };

/** Sends QMP input-send-event: an absolute position (QEMU's 0..0x7fff axes) and left button state. */
async function qmpPointer(x: number, y: number, left: boolean): Promise<void> {
  await guest.qmp('input-send-event', {
    events: [
      { type: 'abs', data: { axis: 'x', value: Math.round(x) } },
      { type: 'abs', data: { axis: 'y', value: Math.round(y) } },
      { type: 'btn', data: { button: 'left', down: left } },
    ],
  });
}

/** Where qemu-vdagent puts an axis value on a console of `size` pixels (qemu_input_scale_axis). */
const pixel = (value: number, size: number): number => Math.floor((value * size) / ABS_MAX);

/** A probe line from the agent's tablet: `event EVN TYPE CODE VALUE`, VALUE one of `values`. */
function tabletEvent(type: number, code: number, values: readonly number[]): RegExp {
  return new RegExp(`^event (event\\d+) ${type} ${code} (${values.join('|')})$`);
}

/** The tablet reports the position and the left button's new state, in any order. */
async function tabletShows(since: number, xs: readonly number[], ys: readonly number[], left: 0 | 1): Promise<void> {
  await probe.find(tabletEvent(3, 0, xs), since, STEP_MS); // EV_ABS ABS_X
  await probe.find(tabletEvent(3, 1, ys), since, STEP_MS); // EV_ABS ABS_Y
  await probe.find(tabletEvent(1, BTN_LEFT, [left]), since, STEP_MS);
}

/** The probe's next report of the agent's process matching `pattern` (`agent PID` or `agent none`). */
async function agentIs(pattern: RegExp): Promise<RegExpExecArray> {
  return probe.next(pattern, STEP_MS);
}

/** Everything QEMU wrote to the probe's raw port within `ms`, read into `wire`; whether QEMU's side was gone then. */
async function readWire(wire: WireReader, ms: number): Promise<boolean> {
  const { bytes, hostAbsent } = await questions.rawRead(ms);
  wire.push(bytes);
  return hostAbsent;
}

describe('the packaged agent with QEMU’s qemu-vdagent chardev as its client (QMP and VNC)', () => {
  beforeAll(async () => {
    const deb = await packagePath();
    const cache = cacheRoot();
    const runDir = freshRunDir(cache, 'qemu-vdagent-run');
    const image = await desktopImage(cache, await guestImage(cache, phases), phases);
    process.stdout.write(`e2e guest: ${Object.values(image.versions).join(', ')}\n`);
    const dataDisk = join(runDir, 'data.img');
    await phases.run('data disk with the package', () => buildDataDisk({ deb, actions: {}, enable: [] }, runDir, dataDisk));
    guest = await bootGuest(image, dataDisk, runDir, ['probe'], { qemuVdagent: true, vga: 'qxl', trace: ['vdagent_peer_cap'] });
    traceLog = join(runDir, 'qemu-trace.log');
    process.stdout.write(`e2e guest: booting with ${guest.accel}; console in ${join(runDir, 'console.log')}\n`);
    const probePort = new SocketPort(guest.sockets.probe, 'probe socket');
    await probePort.open();
    ports.push(probePort);
    probe = new LineChannel(probePort, () => guest.consoleTail());
    questions = new ProbeQuestions(probePort, probe);
    await phases.run(`boot (${guest.accel})`, () => probe.next(/^probe /, BOOT_MS));
    const install = await phases.run('dpkg -i in the guest', () => probe.next(/^install (-?\d+)$/, STEP_MS));
    if (install[1] !== '0') throw new Error(`dpkg -i failed:\n${probe.lines.filter((l) => l.startsWith('dpkg: ')).join('\n')}`);
    const agent = await phases.run('plug the qemu-vdagent port: systemd starts the agent', async () => {
      await guest.qmp('device_add', { driver: 'virtserialport', bus: 'vs.0', chardev: 'vdagent', name: GUEST_PORTS.spice, id: PORT_ID });
      return agentIs(/^agent (\d+)$/);
    });
    agentPid = Number(agent[1]);
    const dump = join(runDir, 'screen.ppm');
    await guest.qmp('screendump', { filename: dump });
    const header = /^P6\s+(\d+)\s+(\d+)\s/.exec(readFileSync(dump).subarray(0, 32).toString('latin1'));
    screen = { width: Number(header?.[1]), height: Number(header?.[2]) };
    process.stdout.write(`e2e guest: VGA console ${screen.width}x${screen.height}\n`);
  });

  afterAll(async () => {
    vnc?.close();
    for (const port of ports) await port.close();
    await guest?.stop();
    process.stdout.write(phases.summary());
  });

  it('hears QEMU’s capabilities in answer to its request: mouse, clipboard by demand, selection, grab serial', async () => {
    await phases.run('capabilities from QEMU', async () => {
      for (let i = 0; !(await agentJournal(questions)).includes('client capabilities'); i++) {
        if (i > 60) throw new Error(`no capabilities from QEMU in the agent's journal:\n${await agentJournal(questions)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
    expect(await agentJournal(questions)).toContain('client capabilities 0x00020061 [MouseState,ClipboardByDemand,ClipboardSelection,ClipboardGrabSerial]');
  });

  describe('with the desktop’s user logged in on seat0 (Xorg, openbox) and xclip as their application', () => {
    let helperPid: number;

    it('finds the X session through logind and starts the helper as that user', async () => {
      const [, session, pid] = await phases.run('logind session, helper started', () =>
        journalMatch(questions, new RegExp(`session ([^/\\s]+)/\\d+: helper (\\d+) started as ${DESKTOP_USER.uid}:${DESKTOP_USER.uid}`), STEP_MS),
      );
      helperPid = Number(pid);
      expect(await agentJournal(questions)).toContain(`seat0: session ${session} of ${DESKTOP_USER.name} (x11, user)`);
      const shown = await questions.output('/usr/bin/loginctl', 'show-session', String(session), '-p', 'Type', '-p', 'Seat', '-p', 'Active', '-p', 'Name');
      expect(shown.split('\n').filter(Boolean).sort()).toEqual(['Active=yes', `Name=${DESKTOP_USER.name}`, 'Seat=seat0', 'Type=x11']);
      const status = await questions.text(`/proc/${helperPid}/status`);
      expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(DESKTOP_USER.uid), String(DESKTOP_USER.uid)]);
      expect((await questions.text(`/proc/${helperPid}/cmdline`)).split('\0')).toContain('session');
    });

    it('announces the clipboard to QEMU once the helper serves it', async () => {
      const [served] = await phases.run('helper serves the clipboard', () => journalMatch(questions, /session \S+: helper serves .*clipboard.*/, STEP_MS));
      process.stdout.write(`e2e guest: ${served}\n`);
      // logind knows no display for a session started like startx: the helper found it in the user's manager.
      expect(await agentJournal(questions)).toMatch(/session environment:.*[ ,]DISPLAY\b[^;]* from the user manager/);
      // QEMU's own account of the agent's announcement (its cap_name table: "clipboard-by-demand"…).
      for (let i = 0; !readFileSync(traceLog, 'utf8').includes('vdagent_peer_cap cap clipboard-by-demand'); i++) {
        if (i > 60) throw new Error(`QEMU never heard the clipboard announced:\n${readFileSync(traceLog, 'utf8')}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      // One line per bit, lowest first: every announcement of the agent starts with mouse-state.
      const heard = readFileSync(traceLog, 'utf8').match(/vdagent_peer_cap cap \S+/g)?.map((l) => l.split(' ').at(-1)) ?? [];
      const announcements = heard.join(' ').split(/ ?(?=mouse-state)/).filter(Boolean).map((a) => a.split(' '));
      // At the port's opening, before the helper: no clipboard. Once it serves the session: the clipboard.
      expect(announcements[0]).not.toContain('clipboard-by-demand');
      expect(announcements.at(-1)).toEqual(expect.arrayContaining(['clipboard-by-demand', 'clipboard-selection', 'clipboard-grab-serial', 'guest-lineend-lf']));
    });

    it('VNC → guest: xclip -o reads the viewer’s text, without the trailing NUL QEMU passes on', async () => {
      const text = 'copied in the VNC viewer, pasted by xclip';
      const client = (vnc ??= await RfbClient.connect(guest.vncSocket));
      await phases.run('clipboard VNC → xclip -o', async () => {
        const since = client.clipboard.length;
        await client.notifyText();
        // The helper owns CLIPBOARD for QEMU once it offers text; it answers TARGETS by itself.
        for (let i = 0; !(await questions.run(...XCLIP, '-o', '-t', 'TARGETS')).stdout.includes('UTF8_STRING'); i++) {
          if (i > 60) throw new Error('the helper never took the X clipboard for the VNC viewer');
          await new Promise((r) => setTimeout(r, 1000));
        }
        const pasting = questions.run(...XCLIP, '-o');
        await client.nextClipboard(Clip.request | Clip.text, since, STEP_MS);
        // QEMU hands the viewer's bytes on as they are, NUL included; UTF8_TEXT carries none (spec §7.6).
        await client.provideText(Buffer.from(`${text}\0`));
        const pasted = await pasting;
        process.stdout.write(`e2e guest: xclip -o read ${JSON.stringify(pasted.stdout)}\n`);
        expect(pasted.status).toBe(0);
        expect(pasted.stdout).toBe(text);
      });
    });

    it('guest → VNC: what xclip -i copies reaches the viewer', async () => {
      const text = 'copied by xclip in the guest';
      const client = (vnc ??= await RfbClient.connect(guest.vncSocket));
      await phases.run('clipboard xclip -i → VNC', async () => {
        let since = client.clipboard.length;
        // xclip stays in the background to serve the selection: it must not hold the probe's pipes.
        await questions.output('/usr/bin/sh', '-c', `printf %s '${text}' | ${XCLIP.join(' ')} -i >/dev/null 2>&1`);
        await client.nextClipboard(Clip.notify | Clip.text, since, STEP_MS);
        since = client.clipboard.length;
        await client.requestText();
        const provided = await client.nextClipboard(Clip.provide | Clip.text, since, STEP_MS);
        expect(provided.text?.toString('utf8')).toBe(text);
      });
    });
  });

  it('moves and clicks the guest’s tablet from QMP input-send-event', async () => {
    await phases.run('pointer through QMP', async () => {
      const [x, y] = [ABS_MAX / 8, ABS_MAX / 4].map(Math.round) as [number, number];
      let since = probe.lines.length;
      await qmpPointer(x, y, true);
      await tabletShows(since, [pixel(x, screen.width)], [pixel(y, screen.height)], 1);
      since = probe.lines.length;
      await qmpPointer(x, y, false);
      await probe.find(tabletEvent(1, BTN_LEFT, [0]), since, STEP_MS);
    });
  });

  it('moves and clicks the guest’s tablet from a VNC client (absolute pointer)', async () => {
    await phases.run('pointer through VNC', async () => {
      vnc ??= await RfbClient.connect(guest.vncSocket);
      expect([vnc.width, vnc.height]).toEqual([screen.width, screen.height]);
      // VNC pixels → QEMU's axis → qemu-vdagent's pixels: each step rounds down, so one off at most.
      const near = (v: number): number[] => [v - 1, v, v + 1];
      let since = probe.lines.length;
      await vnc.pointer(200, 120, 1);
      await tabletShows(since, near(200), near(120), 1);
      since = probe.lines.length;
      await vnc.pointer(200, 120, 0);
      await probe.find(tabletEvent(1, BTN_LEFT, [0]), since, STEP_MS);
    });
  });

  it('recovers by itself from device_del / device_add of its port, dropping the input QEMU queued meanwhile', async () => {
    const [qx, qy] = [ABS_MAX / 2, ABS_MAX / 2].map(Math.round) as [number, number];
    const queuedX = pixel(qx, screen.width);
    const since = probe.lines.length;
    await phases.run('device_del, input while unplugged, device_add', async () => {
      await guest.qmp('device_del', { id: PORT_ID });
      for (let i = 0; (await questions.run('/usr/bin/test', '-e', SPICE_PATH)).status === 0; i++) {
        if (i > 120) throw new Error(`${SPICE_PATH} is still there after device_del`);
        await new Promise((r) => setTimeout(r, 500));
      }
      // A click while no agent listens: qemu-vdagent keeps it for the next agent.
      await qmpPointer(qx, qy, true);
      await qmpPointer(qx, qy, false);
      for (let i = 0; ; i++) {
        try {
          await guest.qmp('device_add', { driver: 'virtserialport', bus: 'vs.0', chardev: 'vdagent', name: GUEST_PORTS.spice, id: PORT_ID });
          break;
        } catch (err) {
          if (i > 60) throw err; // the old port's id may linger for a moment after the guest let go
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    });
    await phases.run('agent re-announces, QEMU answers again', async () => {
      for (let i = 0; !(await agentJournal(questions)).includes('MOUSE_STATE from the client before its capabilities dropped'); i++) {
        if (i > 120) throw new Error(`the agent never reported the queued input:\n${await agentJournal(questions)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const fresh = probe.lines.length;
      const [x, y] = [Math.round(ABS_MAX / 16), Math.round(ABS_MAX / 16)];
      await qmpPointer(x, y, true);
      await tabletShows(fresh, [pixel(x, screen.width)], [pixel(y, screen.height)], 1);
      await qmpPointer(x, y, false);
    });
    expect((await agentJournal(questions)).match(/(\d+) MOUSE_STATE from the client before its capabilities dropped/)?.[1]).toBe('2');
    // Nothing of the queued click reached the tablet.
    expect(probe.lines.slice(since).filter((l) => tabletEvent(3, 0, [queuedX]).test(l))).toEqual([]);
    // The same process served both ports: no restart.
    expect(probe.lines.filter((l) => l.startsWith('agent ')).at(-1)).toBe(`agent ${agentPid}`);
  });

  describe('QEMU 7.2 on the wire, the probe playing the agent (the agent stopped)', () => {
    const wire = new WireReader();
    let qemuCaps = CapabilitySet.empty;
    const send = async (m: Message): Promise<void> => questions.rawWrite(agentBytes(m, qemuCaps));
    const text = Buffer.from(`${'copied in the VNC viewer, cut by qemu-vdagent into pieces of 1024 bytes. '.repeat(40)}end`);

    beforeAll(async () => {
      await phases.run('stop the agent, input while the port is closed, open it raw', async () => {
        await questions.output('/usr/bin/systemctl', 'stop', 'vdagent.service');
        await agentIs(/^agent none$/);
        await qmpPointer(100, 100, true);
        await questions.rawOpen(SPICE_PATH);
        await readWire(wire, 3000);
      });
    });

    it('sends nothing on open, not even an announcement of its own', () => {
      expect(wire.messages).toEqual([]);
    });

    it('answers request=1 with the input it took while the port was closed, then request=0 and one capability word 0x00020061, all on chunk port 1', async () => {
      const before = wire.messages.length;
      await send({ type: MessageType.AnnounceCapabilities, request: true, caps: RAW_AGENT_CAPS });
      await readWire(wire, 3000);
      const answer = wire.messages.slice(before);
      expect(answer.map((m) => [m.type, m.port])).toEqual([
        [MessageType.MouseState, ChunkPort.Client],
        [MessageType.AnnounceCapabilities, ChunkPort.Client],
      ]);
      const [queued] = wire.decoded(MessageType.MouseState, CapabilitySet.empty);
      expect(queued).toEqual({ type: MessageType.MouseState, x: pixel(100, screen.width), y: pixel(100, screen.height), buttons: 0x02, displayId: 0 });
      const announce = answer[1];
      expect(announce?.port).toBe(ChunkPort.Client);
      expect(announce?.payload.readUInt32LE(0)).toBe(0); // request
      expect(announce?.payload.length).toBe(8); // one word
      expect(announce && capabilityWord(announce)).toBe(0x00020061);
      qemuCaps = CapabilitySet.of(Capability.MouseState, Capability.ClipboardByDemand, Capability.ClipboardSelection, Capability.ClipboardGrabSerial);
    });

    it('VNC → guest: a grab with serial 0, then the text in chunks of at most 1024 bytes with its trailing NUL kept', async () => {
      vnc ??= await RfbClient.connect(guest.vncSocket);
      let before = wire.messages.length;
      await vnc.notifyText();
      await readWire(wire, 3000);
      const [grab] = wire.messages.slice(before).filter((m) => m.type === MessageType.ClipboardGrab);
      expect(grab?.port).toBe(ChunkPort.Client);
      expect(grab?.payload).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, ClipboardType.Utf8Text, 0, 0, 0])); // selection, serial 0, text
      const since = vnc.clipboard.length;
      await send({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text });
      await vnc.nextClipboard(Clip.request | Clip.text, since, STEP_MS);
      before = wire.messages.length;
      await vnc.provideText(Buffer.concat([text, Buffer.from([0])]));
      await readWire(wire, 3000);
      const [data] = wire.messages.slice(before).filter((m) => m.type === MessageType.Clipboard);
      const size = 20 + 8 + text.length + 1;
      expect(data?.chunkSizes).toEqual([...Array<number>(Math.floor(size / 1024)).fill(1024), size % 1024]);
      expect(data?.payload.subarray(0, 8)).toEqual(Buffer.from([0, 0, 0, 0, ClipboardType.Utf8Text, 0, 0, 0]));
      expect(data?.payload.subarray(8)).toEqual(Buffer.concat([text, Buffer.from([0])]));
    });

    it('guest → VNC: discards a grab whose serial is below the last it saw, takes the next, asks, passes the text on unchanged', async () => {
      let since = vnc?.clipboard.length ?? 0;
      // QEMU's own grab carried serial 0 and it counts on from there: a guest grab with 0 is stale.
      await send({ type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, serial: 0, types: [ClipboardType.Utf8Text] });
      await new Promise((r) => setTimeout(r, 3000));
      expect(vnc?.clipboard.slice(since).filter((m) => m.flags & Clip.notify)).toEqual([]);
      await send({ type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, serial: 1, types: [ClipboardType.Utf8Text] });
      await vnc?.nextClipboard(Clip.notify | Clip.text, since, STEP_MS);
      const before = wire.messages.length;
      await vnc?.requestText();
      await readWire(wire, 3000);
      const [request] = wire.messages.slice(before).filter((m) => m.type === MessageType.ClipboardRequest);
      expect(request?.payload).toEqual(Buffer.from([0, 0, 0, 0, ClipboardType.Utf8Text, 0, 0, 0]));
      since = vnc?.clipboard.length ?? 0;
      await send({ type: MessageType.Clipboard, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text, data: Buffer.from('from the guest') });
      const provided = await vnc?.nextClipboard(Clip.provide | Clip.text, since, STEP_MS);
      expect(provided?.text?.toString('latin1')).toBe('from the guest');
    });

    it('restarts its grab serials at 0 whenever the agent announces, request=0 included, and stays connected', async () => {
      const before = wire.messages.length;
      await send({ type: MessageType.AnnounceCapabilities, request: false, caps: RAW_AGENT_CAPS });
      expect(await readWire(wire, 2000)).toBe(false); // QEMU's side still there
      await vnc?.notifyText();
      await readWire(wire, 3000);
      // Its last grab carried 0 and the guest's 1 was taken: without the restart this one would carry 1 or more.
      expect(wire.messages.slice(before).map((m) => [m.type, m.payload])).toEqual([
        [MessageType.ClipboardGrab, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, ClipboardType.Utf8Text, 0, 0, 0])],
      ]);
    });

    it('the agent, started again, gets QEMU’s capabilities and the pointer back', async () => {
      await questions.rawClose();
      await phases.run('agent started again after the raw port', async () => {
        await questions.output('/usr/bin/systemctl', 'start', 'vdagent.service');
        await agentIs(/^agent (\d+)$/);
        const [x, y] = [Math.round(ABS_MAX / 3), Math.round(ABS_MAX / 5)];
        for (let i = 0; ; i++) {
          const since = probe.lines.length;
          await qmpPointer(x, y, i % 2 === 0);
          try {
            await probe.find(tabletEvent(3, 0, [pixel(x, screen.width)]), since, 5000);
            break;
          } catch (err) {
            if (i > 20) throw err; // until the agent has announced, QEMU has no agent to send to
          }
        }
      });
    });
  });
});
