import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, ClipboardType } from '../../src/protocol/index.js';
import { agentJournal, agentJournalLength, journalMatch } from './support/agent-journal.js';
import { cacheRoot } from './support/cache.js';
import { eventually } from './support/eventually.js';
import { guestImage } from './support/guest-image.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { png } from './support/png.js';
import type { ProbeQuestions } from './support/probe-questions.js';
import type { RunningGuest } from './support/qemu.js';
import type { SocketPort } from './support/socket-port.js';
import { SpiceClient, type ClientEvent } from './support/spice-client.js';
import { bootSpiceDesktop } from './support/spice-desktop.js';
import { SWAY_USER, SWAY_WAYLAND_DISPLAY, swayImage } from './support/sway-image.js';

// The sway guest (sway 1.7 on wlroots' DRM backend with the pixman renderer, on a virtio-gpu
// device driven by the kernel's virtio_gpu driver; the user `desktop` logged in on seat0 through
// PAM, sway taking the seat from logind through libseat) behind QEMU's SPICE server, with
// spice-gtk's client library as the host's client. The packaged agent finds the wayland session
// through logind and WAYLAND_DISPLAY in the user's systemd manager (sway's configuration imports
// it there); wl-copy, wl-paste and wlr-randr, run as the user, are the guest's side. One boot.
//
// The client's monitors configuration takes the display device's path: QEMU's SPICE display of
// the virtio-gpu console says it takes client monitors configs (its console supports ui_info), so
// spice-server hands the configuration to it instead of the agent; the device changes its
// connector's preferred mode and the kernel sends a DRM hotplug, which the agent's resolution
// module follows through wlr-randr. wlroots reads a connector's modes only when it connects, so
// the agent takes the preferred mode from the kernel's connector. The size asked for is one sway
// listed at boot (1024x768): a size outside that list needs a custom mode, and sway 1.10 on this
// device answers wlr-randr's `--custom-mode 1152x720` (with or without `@60Hz`) with success yet
// keeps the output as it was, while `swaymsg output Virtual-1 mode --custom 1152x720@60Hz`
// applies it (see the README).
//
// xdg-open: the guest has no xdg-utils (nothing in it would open a folder anyway); a stand-in
// /usr/local/bin/xdg-open, put in place by the test, records its uid, arguments and
// WAYLAND_DISPLAY, which is what the agent's `open-when-done` promises.

const BOOT_MS = 600_000;
const STEP_MS = 120_000;
/** How long sway's output may take to follow a request (the test asserts it does within this). */
const FOLLOW_MS = 45_000;
const HOME = `/home/${SWAY_USER.name}`;
/** The user's XDG desktop folder, set in ~/.config/user-dirs.dirs by the test. */
const DESKTOP = `${HOME}/Desktop`;
/** Where the stand-in xdg-open records its calls, one line each. */
const XDG_OPEN_LOG = `${HOME}/.xdg-open-calls`;
/** The stand-in xdg-open: the caller's uid, the argument count, the arguments, the caller's WAYLAND_DISPLAY. */
const XDG_OPEN = `#!/bin/sh\necho "$(id -u) $# $* $WAYLAND_DISPLAY" >> ${XDG_OPEN_LOG}\n`;
/** The file-xfer entry under test: files to the XDG desktop folder, the folder opened after the batch. */
const FILE_XFER = 'dir = xdg-desktop\nopen-when-done = yes\n';
/** A guest program run as the desktop's user on sway's socket. */
const AS_USER = ['/usr/sbin/runuser', '-u', SWAY_USER.name, '--', '/usr/bin/env', `XDG_RUNTIME_DIR=/run/user/${SWAY_USER.uid}`, `WAYLAND_DISPLAY=${SWAY_WAYLAND_DISPLAY}`];
/** The MIME type wl-clipboard and the agent use for UTF-8 text. */
const TEXT = 'text/plain;charset=utf-8';

const phases = new Phases();
let guest: RunningGuest | undefined;
let port: SocketPort | undefined;
let client: SpiceClient | undefined;
let probe: ProbeQuestions;
let runDir: string;
/** The port of QEMU's SPICE server on 127.0.0.1. */
let spicePort: number;

/** The SPICE client, once connected. */
function spice(): SpiceClient {
  if (!client) throw new Error('the SPICE client is not connected');
  return client;
}

/** The guest file's bytes after wl-paste, as the user, pasted the clipboard as `type` into it. */
async function wlPaste(type: string, name: string): Promise<Buffer> {
  const out = `/tmp/${name}`;
  const pasted = await probe.run('/bin/sh', '-c', `${AS_USER.join(' ')} /usr/bin/wl-paste --no-newline --type '${type}' > ${out}`);
  if (pasted.status !== 0) throw new Error(`wl-paste --type ${type} failed: ${pasted.output}`);
  return probe.read(out);
}

/** The types wl-paste, as the user, lists on the clipboard. */
async function wlTypes(): Promise<string[]> {
  return (await probe.run(...AS_USER, '/usr/bin/wl-paste', '--list-types')).stdout.split('\n').filter(Boolean);
}

/** Offers `bytes` as clipboard type `type` from the client; resolves once wl-paste lists `mime`. */
async function clientCopies(type: ClipboardType, bytes: Buffer, mime: string): Promise<void> {
  spice().grabClipboard(new Map([[type, bytes]]));
  await eventually(async () => {
    const types = await wlTypes();
    if (!types.includes(mime)) throw new Error(`the helper never offered ${mime} on the wayland clipboard (types: ${types.join(' ')})`);
  }, STEP_MS);
}

/** wl-copy, as the user, copies `bytes` as `mime` (it stays in the background to serve it); the client hears the grab and asks for `type`; the answer. */
async function guestCopies(mime: string, bytes: Buffer, type: ClipboardType, name: string): Promise<ClientEvent> {
  const c = spice();
  const since = c.events.length;
  const file = `/tmp/${name}`;
  await probe.output('/bin/sh', '-c', `echo ${bytes.toString('base64')} | base64 -d > ${file} && chmod 644 ${file}`);
  await probe.output('/bin/sh', '-c', `${AS_USER.join(' ')} /usr/bin/wl-copy --type '${mime}' < ${file} >/dev/null 2>&1`);
  await c.next((e) => e.event === 'guest-grab' && (e.types as number[]).includes(type), since, STEP_MS);
  const id = c.requestClipboard(type);
  return c.next((e) => e.event === 'clipboard' && e.id === id, since, STEP_MS);
}

/** sway's output as wlr-randr, run as the user, shows it: its name and current mode. */
async function output(): Promise<{ name: string; mode: string; text: string }> {
  const text = await probe.output(...AS_USER, '/usr/bin/wlr-randr');
  const mode = /^\s+(\d+x\d+) px.*\bcurrent\b/m.exec(text)?.[1] ?? '';
  return { name: /^(\S+)/.exec(text)?.[1] ?? '', mode, text };
}

describe('the packaged agent in a real sway session on virtio-gpu, with spice-gtk behind QEMU’s SPICE server as the client', () => {
  beforeAll(async () => {
    const deb = await packagePath();
    const cache = cacheRoot();
    // Not `sway-…`: the image cache removes every other entry of that name.
    runDir = join(cache, 'wayland-desktop-run');
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    const image = await swayImage(cache, await guestImage(cache, phases), phases);
    process.stdout.write(`e2e guest: ${Object.values(image.versions).join(', ')}\n`);
    ({ guest, port, probe, spicePort } = await bootSpiceDesktop({ image, deb, runDir, actions: { 'file-xfer': FILE_XFER }, display: { vga: 'none', displays: ['virtio-gpu-pci'], trace: ['qemu_spice_ui_info'] }, phases, bootMs: BOOT_MS, stepMs: STEP_MS }));
    // The user's XDG desktop folder, as xdg-user-dirs-update would write it, and the stand-in xdg-open.
    await probe.output('/usr/sbin/runuser', '-u', SWAY_USER.name, '--', '/bin/sh', '-c', `mkdir -p ${DESKTOP} ${HOME}/.config && echo 'XDG_DESKTOP_DIR="$HOME/Desktop"' > ${HOME}/.config/user-dirs.dirs`);
    await probe.output('/bin/sh', '-c', `printf '%s' '${XDG_OPEN}' > /usr/local/bin/xdg-open && chmod 755 /usr/local/bin/xdg-open`);
  }, BOOT_MS + 4 * STEP_MS);

  afterAll(async () => {
    await client?.quit();
    await port?.close();
    await guest?.stop();
    process.stdout.write(phases.summary());
  });

  it('sway runs on the virtio-gpu DRM device in logind’s active wayland session of seat0; the agent finds it, takes WAYLAND_DISPLAY from the user manager and starts the helper as the user', async () => {
    const [, session, pid] = await phases.run('logind session, helper started as uid 1000', () =>
      journalMatch(probe, new RegExp(`session ([^/\\s]+)/\\d+: helper (\\d+) started as ${SWAY_USER.uid}:${SWAY_USER.uid}`), STEP_MS),
    );
    expect(await agentJournal(probe)).toContain(`seat0: session ${String(session)} of ${SWAY_USER.name} (wayland, user)`);
    const shown = await probe.output('/usr/bin/loginctl', 'show-session', String(session), '--property=Type', '--property=Active', '--property=Seat');
    expect(shown.split('\n').filter(Boolean).sort()).toEqual(['Active=yes', 'Seat=seat0', 'Type=wayland']);
    const status = await probe.text(`/proc/${String(pid)}/status`);
    expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(SWAY_USER.uid), String(SWAY_USER.uid)]);
    const [, served] = await phases.run('the helper serves the session modules', () => journalMatch(probe, /helper serves (.*clipboard.*)/, STEP_MS));
    expect(String(served).split(', ')).toEqual(expect.arrayContaining(['clipboard', 'file-xfer', 'resolution']));
    expect(await agentJournal(probe)).toMatch(/session environment: .*WAYLAND_DISPLAY.* from the user manager/);
    // sway holds the virtio_gpu card (through logind's TakeDevice) and shows its connector.
    const cards = await probe.output('/bin/sh', '-c', `for f in /proc/$(pidof sway)/fd/*; do readlink "$f"; done | grep '^/dev/dri/card' | sort -u; readlink /sys/class/drm/card0/device/virtio*/driver`);
    expect(cards.split('\n').filter(Boolean)).toEqual(['/dev/dri/card0', expect.stringMatching(/\/virtio_gpu$/)]);
    const o = await output();
    process.stdout.write(`e2e guest: sway's output ${o.name} at ${o.mode}\n`);
    expect(o.name).toMatch(/^Virtual-\d+$/);
    client = await SpiceClient.start();
    await phases.run('spice-gtk connects, the agent announces the clipboard', async () => {
      spice().connect(spicePort);
      return spice().next((e) => e.event === 'agent' && e.connected === true && (e.caps as number[]).includes(Capability.ClipboardByDemand), 0, STEP_MS);
    });
  });

  it('client → guest: wl-paste, run as the user, pastes the client’s text and its PNG byte for byte', async () => {
    const text = Buffer.from('copied in spice-gtk, pasted by wl-paste — ünïcödé');
    const image = png(64, 48);
    await phases.run('clipboard text client → wl-paste', async () => {
      await clientCopies(ClipboardType.Utf8Text, text, TEXT);
      expect(await wlPaste(TEXT, 'pasted.txt')).toEqual(text);
    });
    await phases.run('clipboard PNG client → wl-paste -t image/png', async () => {
      await clientCopies(ClipboardType.ImagePng, image, 'image/png');
      expect(await wlPaste('image/png', 'pasted.png')).toEqual(image);
    });
  });

  it('guest → client: what wl-copy copies as the user (text, then a PNG) is announced to spice-gtk and arrives byte for byte', async () => {
    const text = Buffer.from('copied by wl-copy in the guest — ünïcödé');
    const image = png(80, 60);
    const gotText = await phases.run('clipboard text wl-copy → client', () => guestCopies(TEXT, text, ClipboardType.Utf8Text, 'copied.txt'));
    expect(gotText).toMatchObject({ type: ClipboardType.Utf8Text });
    expect(Buffer.from(String(gotText.base64), 'base64')).toEqual(text);
    const gotImage = await phases.run('clipboard PNG wl-copy -t image/png → client', () => guestCopies('image/png', image, ClipboardType.ImagePng, 'copied.png'));
    expect(gotImage).toMatchObject({ type: ClipboardType.ImagePng });
    expect(Buffer.from(String(gotImage.base64), 'base64')).toEqual(image);
  });

  it('the client’s monitors config goes to the virtio-gpu device, not the agent: the kernel’s hotplug is followed and sway’s output becomes 1024x768', async () => {
    const before = await output();
    const since = await agentJournalLength(probe);
    const asked = Date.now();
    const after = await phases.run('monitors config → virtio-gpu hotplug → sway at 1024x768', async () => {
      const id = spice().sendMonitors([{ x: 0, y: 0, width: 1024, height: 768 }]);
      expect(await spice().next((e) => e.event === 'monitors' && e.id === id, 0, STEP_MS)).toMatchObject({ sent: true });
      return eventually(async () => {
        const o = await output();
        if (o.mode !== '1024x768') throw new Error(`sway's output is still at ${o.mode}:\n${o.text}`);
        return o;
      }, FOLLOW_MS).catch(async (err: unknown) => {
        const kernel = await probe.output('/bin/sh', '-c', `head -n 3 /sys/class/drm/card0-${before.name}/modes`);
        const seen = (await agentJournal(probe)).split('\n').slice(since).join('\n');
        throw new Error(`${err instanceof Error ? err.message : String(err)}\nthe kernel's modes of ${before.name}:\n${kernel}\nthe agent's journal since:\n${seen}`);
      });
    });
    process.stdout.write(`e2e guest: ${Date.now() - asked} ms after the request, ${before.name} ${before.mode} → ${after.mode}:\n${after.text}\n`);
    // QEMU's SPICE display of the virtio-gpu console (index 0) took the layout …
    expect(readFileSync(join(runDir, 'qemu-trace.log'), 'utf8')).toMatch(/qemu_spice_ui_info 0 1024x768/);
    // … the connector prefers it now, the agent applied it on the hotplug, and never saw MONITORS_CONFIG.
    expect((await probe.output('/bin/sh', '-c', `head -n 1 /sys/class/drm/card0-${after.name}/modes`)).trim()).toBe('1024x768');
    const seen = (await agentJournal(probe)).split('\n').slice(since).join('\n');
    process.stdout.write(`e2e agent journal:\n${seen}\n`);
    expect(seen).toContain(`resolution: DRM hotplug, preferred modes applied: ${after.name} 1024x768+0+0`);
    expect(seen).not.toMatch(/MONITORS_CONFIG/);
  });

  it('with `dir = xdg-desktop` and `open-when-done = yes` a copied file lands in the user’s XDG desktop folder, owned by the user, and xdg-open runs once as the user on that folder', async () => {
    const data = randomBytes(200_000);
    const path = join(runDir, 'notes.bin');
    writeFileSync(path, data);
    const done = await phases.run('file transfer into ~/Desktop, xdg-open ~/Desktop', async () => {
      const id = spice().copy(path);
      const result = await spice().next((e) => e.event === 'copy' && e.id === id, 0, STEP_MS);
      await eventually(async () => expect((await probe.run('/usr/bin/cat', XDG_OPEN_LOG)).status).toBe(0), STEP_MS);
      return result;
    });
    expect(done).toMatchObject({ ok: true });
    const saved = `${DESKTOP}/notes.bin`;
    expect((await probe.output('/usr/bin/sha256sum', saved)).split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
    const stat = await probe.stat(saved);
    expect([stat.uid, stat.gid]).toEqual([SWAY_USER.uid, SWAY_USER.uid]);
    await journalMatch(probe, new RegExp(`file-xfer: transfers done; opening ${DESKTOP}$`, 'm'), STEP_MS);
    // Some time for a second call, were there one.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await probe.output('/usr/bin/cat', XDG_OPEN_LOG)).split('\n').filter(Boolean)).toEqual([`${SWAY_USER.uid} 1 ${DESKTOP} ${SWAY_WAYLAND_DISPLAY}`]);
  });
});
