import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipboardModule } from '../../src/actions/clipboard/module.js';
import { Capability, ClipboardType } from '../../src/protocol/index.js';
import { agentJournalLength, journalMatch } from './support/agent-journal.js';
import { cacheRoot, freshRunDir } from './support/cache.js';
import { DESKTOP_DISPLAY, DESKTOP_USER, desktopImage } from './support/desktop-image.js';
import { eventually } from './support/eventually.js';
import { guestImage } from './support/guest-image.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { png } from './support/png.js';
import type { ProbeQuestions } from './support/probe-questions.js';
import type { RunningGuest } from './support/qemu.js';
import type { SocketPort } from './support/socket-port.js';
import { announced, SpiceClient, type ClientEvent } from './support/spice-client.js';
import { bootSpiceDesktop, helperStartedFor } from './support/spice-desktop.js';

// The desktop guest (Xorg, openbox, the user `desktop` logged in on seat0 through PAM) behind
// QEMU's SPICE server, with spice-gtk's client library as the host's client: the packaged agent
// finds the session through logind and serves it as that user; xclip and xrandr, run as that user,
// are the guest's side. One boot for the whole file.
//
// The display is QEMU's standard VGA (bochs-drm in the guest), not QXL: with QXL and its DRM
// driver loaded, spice-server hands MONITORS_CONFIG to the device instead of the agent (reds.c:
// the agent's write filter routes it to the QXL instances whenever every one of them says it takes
// client monitors configs, which QEMU's qxl does from revision 4 on once the guest driver unmasked
// QXL_INTERRUPT_CLIENT_MONITORS_CONFIG; the kernel's qxl driver always does). QEMU's simple SPICE
// display for a VGA console without ui_info says no, so the agent receives it.

const BOOT_MS = 600_000;
const STEP_MS = 120_000;
const HOME = `/home/${DESKTOP_USER.name}`;
/** The user's XDG download folder, set in ~/.config/user-dirs.dirs by the test. */
const DOWNLOADS = `${HOME}/Downloads`;
/** A guest program run as the desktop's user on its display. */
const AS_USER = ['/usr/sbin/runuser', '-u', DESKTOP_USER.name, '--', '/usr/bin/env', `DISPLAY=${DESKTOP_DISPLAY}`];
const XCLIP = [...AS_USER, '/usr/bin/xclip', '-selection', 'clipboard'];
/** The bits the clipboard module announces (5, 6, 8, 10, 16, 17: its unit test pins them). */
const CLIPBOARD_BITS = new ClipboardModule().capabilities;

const phases = new Phases();
let guest: RunningGuest | undefined;
let port: SocketPort | undefined;
let client: SpiceClient | undefined;
let probe: ProbeQuestions;
let runDir: string;
/** The port of QEMU's SPICE server on 127.0.0.1. */
let spicePort: number;
/** logind's id of the desktop's session. */
let sessionId: string;
/** The agent's capabilities as the client first saw them with the helper serving. */
let agentCaps: number[];

/** The SPICE client, once connected. */
function spice(): SpiceClient {
  if (!client) throw new Error('the SPICE client is not connected');
  return client;
}


/** The guest file's bytes after xclip, as the user, pasted the clipboard as `target` into it. */
async function xclipPaste(target: string, name: string): Promise<Buffer> {
  const out = `/tmp/${name}`;
  const pasted = await probe.run('/bin/sh', '-c', `${XCLIP.join(' ')} -o -t ${target} > ${out}`);
  if (pasted.status !== 0) throw new Error(`xclip -o -t ${target} failed: ${pasted.output}`);
  return probe.read(out);
}

/** Has xclip, as the user, own the clipboard with `bytes` as `target` (it stays in the background to serve it). */
async function xclipCopy(target: string, bytes: Buffer, name: string): Promise<void> {
  const file = `/tmp/${name}`;
  await probe.output('/bin/sh', '-c', `echo ${bytes.toString('base64')} | base64 -d > ${file} && chmod 644 ${file}`);
  await probe.output('/bin/sh', '-c', `${XCLIP.join(' ')} -i -t ${target} ${file} >/dev/null 2>&1`);
}

/** Offers `bytes` as clipboard type `type` from the client; resolves once the guest's X clipboard lists `target`. */
async function clientCopies(type: ClipboardType, bytes: Buffer, target: string): Promise<void> {
  spice().grabClipboard(new Map([[type, bytes]]));
  await eventually(async () => {
    const targets = (await probe.run(...XCLIP, '-o', '-t', 'TARGETS')).stdout;
    if (!targets.split('\n').includes(target)) throw new Error(`the helper never offered ${target} on the X clipboard (TARGETS: ${targets})`);
  }, STEP_MS);
}

/** The guest copies `bytes` as `target` with xclip; the client hears the grab and asks for `type`; the answer. */
async function guestCopies(target: string, bytes: Buffer, type: ClipboardType, name: string): Promise<ClientEvent> {
  const c = spice();
  const since = c.events.length;
  await xclipCopy(target, bytes, name);
  await c.next((e) => e.event === 'guest-grab' && (e.types as number[]).includes(type), since, STEP_MS);
  const id = c.requestClipboard(type);
  return c.next((e) => e.event === 'clipboard' && e.id === id, since, STEP_MS);
}

/** Copies the host file `name` of `bytes` random bytes into the guest through the client; its result event and SHA-256. */
async function copyFile(name: string, bytes: number): Promise<{ done: ClientEvent; sha256: string }> {
  const data = randomBytes(bytes);
  const path = join(runDir, name);
  writeFileSync(path, data);
  const c = spice();
  const since = c.events.length;
  const id = c.copy(path);
  const done = await c.next((e) => e.event === 'copy' && e.id === id, since, STEP_MS);
  return { done, sha256: createHash('sha256').update(data).digest('hex') };
}

/** The X screen's current size as xrandr, run as the user, reports it. */
async function screenSize(): Promise<string> {
  const shown = await probe.output(...AS_USER, '/usr/bin/xrandr', '--current');
  return /current (\d+) x (\d+)/.exec(shown)?.slice(1).join('x') ?? `(no size in ${shown})`;
}

describe('the packaged agent in a real desktop session, with spice-gtk behind QEMU’s SPICE server as the client', () => {
  beforeAll(async () => {
    const deb = await packagePath();
    const cache = cacheRoot();
    // Not `desktop-…`: the image cache removes every other entry of that name.
    runDir = freshRunDir(cache, 'x11-desktop-run');
    const image = await desktopImage(cache, await guestImage(cache, phases), phases);
    process.stdout.write(`e2e guest: ${Object.values(image.versions).join(', ')}\n`);
    ({ guest, port, probe, spicePort } = await bootSpiceDesktop({ image, deb, runDir, actions: {}, display: { vga: 'std' }, phases, bootMs: BOOT_MS, stepMs: STEP_MS }));
    // The user's XDG download folder, as xdg-user-dirs-update would write it.
    const userDirs = `${HOME}/.config/user-dirs.dirs`;
    await probe.output('/usr/sbin/runuser', '-u', DESKTOP_USER.name, '--', '/bin/sh', '-c', `mkdir -p ${DOWNLOADS} ${HOME}/.config && echo 'XDG_DOWNLOAD_DIR="$HOME/Downloads"' > ${userDirs}`);
  });

  afterAll(async () => {
    await client?.quit();
    await port?.close();
    await guest?.stop();
    process.stdout.write(phases.summary());
  });

  it('finds the x11 session of seat0 through logind, starts the helper as the user, and announces the clipboard to spice-gtk once it serves', async () => {
    sessionId = await helperStartedFor({ probe, phases, stepMs: STEP_MS }, DESKTOP_USER, 'x11');
    client = await SpiceClient.start();
    const caps = await phases.run('spice-gtk connects, the agent announces the clipboard', async () => {
      spice().connect(spicePort);
      return spice().next((e) => announced(e) && (e.caps as number[]).includes(Capability.ClipboardByDemand), 0, STEP_MS);
    });
    agentCaps = caps.caps as number[];
    expect(agentCaps).toEqual(expect.arrayContaining([...CLIPBOARD_BITS, Capability.MonitorsConfig]));
    expect(agentCaps).not.toContain(Capability.FileXferDisabled);
  });

  it('client → guest: xclip -o, run as the user, pastes the client’s text and its PNG byte for byte', async () => {
    const text = Buffer.from('copied in spice-gtk, pasted by xclip — ünïcödé');
    const image = png(64, 48);
    await phases.run('clipboard text client → xclip -o', async () => {
      await clientCopies(ClipboardType.Utf8Text, text, 'UTF8_STRING');
      const since = spice().events.length;
      expect(await xclipPaste('UTF8_STRING', 'pasted.txt')).toEqual(text);
      expect(spice().events.slice(since).find((e) => e.event === 'served')).toMatchObject({ type: ClipboardType.Utf8Text, bytes: text.length });
    });
    await phases.run('clipboard PNG client → xclip -o -t image/png', async () => {
      await clientCopies(ClipboardType.ImagePng, image, 'image/png');
      expect(await xclipPaste('image/png', 'pasted.png')).toEqual(image);
    });
  });

  it('guest → client: what xclip -i copies as the user (text, then a PNG) is announced to spice-gtk and arrives byte for byte', async () => {
    const text = Buffer.from('copied by xclip in the guest — ünïcödé');
    const image = png(80, 60);
    const gotText = await phases.run('clipboard text xclip -i → client', () => guestCopies('UTF8_STRING', text, ClipboardType.Utf8Text, 'copied.txt'));
    expect(gotText).toMatchObject({ type: ClipboardType.Utf8Text });
    expect(Buffer.from(String(gotText.base64), 'base64')).toEqual(text);
    const gotImage = await phases.run('clipboard PNG xclip -i -t image/png → client', () => guestCopies('image/png', image, ClipboardType.ImagePng, 'copied.png'));
    expect(gotImage).toMatchObject({ type: ClipboardType.ImagePng });
    expect(Buffer.from(String(gotImage.base64), 'base64')).toEqual(image);
  });

  it('a file copied by the client lands in the user’s XDG download folder, owned by the user, byte for byte', async () => {
    const { done, sha256 } = await phases.run('file transfer into ~/Downloads', () => copyFile('report.bin', 300_000));
    expect(done).toMatchObject({ ok: true });
    const path = `${DOWNLOADS}/report.bin`;
    expect((await probe.output('/usr/bin/sha256sum', path)).split(' ')[0]).toBe(sha256);
    const stat = await probe.stat(path);
    expect([stat.uid, stat.gid]).toEqual([DESKTOP_USER.uid, DESKTOP_USER.uid]);
  });

  it('MONITORS_CONFIG from spice-gtk resizes the real X screen (xrandr as the user)', async () => {
    const before = await screenSize();
    const since = await agentJournalLength(probe);
    await phases.run('MONITORS_CONFIG → xrandr shows 1152x720', async () => {
      const id = spice().sendMonitors([{ x: 0, y: 0, width: 1152, height: 720 }]);
      expect(await spice().next((e) => e.event === 'monitors' && e.id === id, 0, STEP_MS)).toMatchObject({ sent: true });
      await journalMatch(probe, /<- MONITORS_CONFIG .*1152x720\+0\+0/, STEP_MS, since);
      await eventually(async () => expect(await screenSize()).toBe('1152x720'), STEP_MS);
    });
    process.stdout.write(`e2e guest: X screen ${before} → ${await screenSize()}\n`);
    expect(await journalMatch(probe, /-> REPLY to=MONITORS_CONFIG (\w+)/, STEP_MS, since)).toContain('Success');
  });

  describe('with the session locked by `loginctl lock-session` (no screen locker: only logind’s Lock)', () => {
    beforeAll(async () => {
      await phases.run('loginctl lock-session: the agent sees the session locked', async () => {
        const since = await agentJournalLength(probe);
        await probe.output('/usr/bin/loginctl', 'lock-session', sessionId);
        await journalMatch(probe, new RegExp(`seat0: session ${sessionId} of ${DESKTOP_USER.name} \\(x11, user, locked\\)`), STEP_MS, since);
      });
    });

    it('refuses a transfer with SESSION_LOCKED (the client’s copy fails) and answers a clipboard request with NONE', async () => {
      const since = await agentJournalLength(probe);
      const { done } = await phases.run('transfer refused while locked', () => copyFile('locked.bin', 4096));
      expect(done).toMatchObject({ ok: false, domain: 'spice-client-error-quark', code: 0 });
      await journalMatch(probe, /-> FILE_XFER_STATUS id=\d+ result=SessionLocked/, STEP_MS, since);
      expect((await probe.run('/usr/bin/test', '-e', `${DOWNLOADS}/locked.bin`)).status).toBe(1);
      // xclip still owns the clipboard with the PNG of the test before: the daemon answers for the helper.
      const id = spice().requestClipboard(ClipboardType.ImagePng);
      expect(await spice().next((e) => e.event === 'clipboard' && e.id === id, 0, STEP_MS)).toMatchObject({ type: ClipboardType.None, base64: '' });
    });

    it('serves both again after `loginctl unlock-session`', async () => {
      await phases.run('loginctl unlock-session: transfer and clipboard again', async () => {
        const since = await agentJournalLength(probe);
        await probe.output('/usr/bin/loginctl', 'unlock-session', sessionId);
        await journalMatch(probe, new RegExp(`seat0: session ${sessionId} of ${DESKTOP_USER.name} \\(x11, user\\)`), STEP_MS, since);
        const { done, sha256 } = await copyFile('unlocked.bin', 4096);
        expect(done).toMatchObject({ ok: true });
        expect((await probe.output('/usr/bin/sha256sum', `${DOWNLOADS}/unlocked.bin`)).split(' ')[0]).toBe(sha256);
        const id = spice().requestClipboard(ClipboardType.ImagePng);
        const answer = await spice().next((e) => e.event === 'clipboard' && e.id === id, 0, STEP_MS);
        expect(answer).toMatchObject({ type: ClipboardType.ImagePng });
        expect(Buffer.from(String(answer.base64), 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
      });
    });
  });

  it('masking `clipboard` in /etc/vdagent/actions.d at run time re-announces without its bits; unmasking brings them back', async () => {
    const c = spice();
    const withoutClipboard = agentCaps.filter((bit) => !CLIPBOARD_BITS.includes(bit));
    await phases.run('mask clipboard: announcement without its bits', async () => {
      const since = c.events.length;
      await probe.output('/bin/sh', '-c', 'mkdir -p /etc/vdagent/actions.d && ln -s /dev/null /etc/vdagent/actions.d/clipboard');
      const masked = await c.next((e) => announced(e) && !(e.caps as number[]).includes(Capability.ClipboardByDemand), since, STEP_MS);
      expect(masked.caps).toEqual(withoutClipboard);
    });
    await phases.run('unmask clipboard: its bits announced again', async () => {
      const since = c.events.length;
      await probe.output('/bin/rm', '/etc/vdagent/actions.d/clipboard');
      const back = await c.next((e) => announced(e) && (e.caps as number[]).includes(Capability.ClipboardByDemand), since, STEP_MS);
      expect(back.caps).toEqual(agentCaps);
    });
  });
});

