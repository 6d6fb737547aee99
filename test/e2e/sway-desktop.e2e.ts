import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, ClipboardType } from '../../src/protocol/index.js';
import { agentJournal, agentJournalLength, journalMatch } from './support/agent-journal.js';
import { cacheRoot, freshRunDir } from './support/cache.js';
import { eventually } from './support/eventually.js';
import { guestImage } from './support/guest-image.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { png } from './support/png.js';
import type { ProbeQuestions } from './support/probe-questions.js';
import type { RunningGuest } from './support/qemu.js';
import type { SocketPort } from './support/socket-port.js';
import { SpiceClient, type ClientEvent } from './support/spice-client.js';
import { bootSpiceDesktop, helperStartedFor } from './support/spice-desktop.js';
import { SWAY_USER, SWAY_WAYLAND_DISPLAY, swayImage } from './support/sway-image.js';

// The sway guest (sway 1.10 on wlroots' DRM backend with the pixman renderer, on a virtio-gpu
// device with two heads driven by the kernel's virtio_gpu driver; the user `desktop` logged in on
// seat0 through PAM, sway taking the seat from logind through libseat) behind QEMU's SPICE server,
// with spice-gtk's client library as the host's client. The packaged agent finds the wayland
// session through logind, and WAYLAND_DISPLAY and SWAYSOCK in the user's systemd manager (sway's
// configuration imports them there); wl-copy and wl-paste, run as the user, are the guest's side,
// and `swaymsg -t get_outputs`, run as the user, shows sway's outputs. One boot.
//
// The client's monitors configuration takes the display device's path: QEMU's SPICE display of
// each virtio-gpu console says it takes client monitors configs (its console supports ui_info), so
// spice-server hands the configuration to them instead of the agent, each console taking the
// monitor of its index; the device changes its connectors (preferred mode, connected or not) and
// the kernel sends a DRM hotplug, which the agent's resolution module follows through sway's IPC.
// wlroots reads a connector's modes only when it connects, so the agent takes the preferred mode
// from the kernel's connector, and a size sway did not list at boot (1152x720) is applied as a
// custom mode (`output Virtual-1 mode --custom 1152x720@60Hz`: sway 1.10 answers wlr-randr's
// --custom-mode with success on this device and keeps the output as it was). Then two monitors:
// the second head connects, sway adds its output, and both end side by side at the sizes asked
// for; then one again: the second head disconnects and sway drops its output.
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

/** wl-copy, as the user, copies `bytes` as `mime` (it stays in the background to serve it); the client hears the grab and asks for `type`; the answer (another type fails with the agent's journal). */
async function guestCopies(mime: string, bytes: Buffer, type: ClipboardType, name: string): Promise<ClientEvent> {
  const c = spice();
  const since = c.events.length;
  const file = `/tmp/${name}`;
  await probe.output('/bin/sh', '-c', `echo ${bytes.toString('base64')} | base64 -d > ${file} && chmod 644 ${file}`);
  await probe.output('/bin/sh', '-c', `${AS_USER.join(' ')} /usr/bin/wl-copy --type '${mime}' < ${file} >/dev/null 2>&1`);
  await c.next((e) => e.event === 'guest-grab' && (e.types as number[]).includes(type), since, STEP_MS);
  const id = c.requestClipboard(type);
  const answer = await c.next((e) => e.event === 'clipboard' && e.id === id, since, STEP_MS);
  if (answer.type !== type) throw new Error(`the agent answered type ${String(answer.type)}, not ${type}; its journal's end:\n${(await agentJournal(probe)).split('\n').slice(-40).join('\n')}`);
  return answer;
}

/** An output as `swaymsg -t get_outputs` reports it (the fields the test reads). */
interface SwayOutput {
  name: string;
  active: boolean;
  rect: { x: number; y: number };
  modes: { width: number; height: number }[];
  current_mode?: { width: number; height: number };
}

/** sway's outputs as `swaymsg -t get_outputs -r`, run as the user on sway's IPC socket, reports them; `layout`: the active ones as `Virtual-1 1152x720+0+0`. */
async function swayOutputs(): Promise<{ outputs: SwayOutput[]; layout: string[] }> {
  const swaymsg = `${AS_USER.join(' ')} SWAYSOCK=$(ls /run/user/${SWAY_USER.uid}/sway-ipc.*.sock) /usr/bin/swaymsg -t get_outputs -r`;
  const outputs = JSON.parse(await probe.output('/bin/sh', '-c', swaymsg)) as SwayOutput[];
  const layout = outputs.filter((o) => o.active).map((o) => `${o.name} ${o.current_mode?.width ?? 0}x${o.current_mode?.height ?? 0}+${o.rect.x}+${o.rect.y}`);
  return { outputs, layout };
}

/** The kernel's connectors of the virtio-gpu card: `Virtual-1 connected 1152x720` (the preferred mode), `Virtual-2 disconnected`. */
async function connectors(): Promise<string[]> {
  const script = 'for c in /sys/class/drm/card0-*; do echo "${c#*card0-} $(cat $c/status) $(head -n 1 $c/modes)"; done';
  return (await probe.output('/bin/sh', '-c', script)).split('\n').filter(Boolean).map((l) => l.trim());
}

/**
 * The client sends `monitors`; resolves with the agent's journal since, once sway's layout is
 * `layout`. On a timeout the error carries the kernel's connectors and the journal.
 */
async function swayFollows(monitors: { x: number; y: number; width: number; height: number }[], layout: string[]): Promise<string> {
  const since = await agentJournalLength(probe);
  const asked = Date.now();
  const id = spice().sendMonitors(monitors);
  expect(await spice().next((e) => e.event === 'monitors' && e.id === id, 0, STEP_MS)).toMatchObject({ sent: true });
  await eventually(async () => {
    const shown = await swayOutputs();
    if (JSON.stringify(shown.layout) !== JSON.stringify(layout)) throw new Error(`sway shows ${shown.layout.join(', ')}, not ${layout.join(', ')}`);
  }, FOLLOW_MS).catch(async (err: unknown) => {
    const journal = (await agentJournal(probe)).split('\n').slice(since).join('\n');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nthe kernel's connectors:\n${(await connectors()).join('\n')}\nthe agent's journal since:\n${journal}`);
  });
  const ms = Date.now() - asked;
  const journal = (await agentJournal(probe)).split('\n').slice(since).join('\n');
  process.stdout.write(`e2e guest: ${ms} ms after the request sway shows ${layout.join(', ')}; the agent's journal since:\n${journal}\n`);
  return journal;
}

describe('the packaged agent in a real sway session on virtio-gpu, with spice-gtk behind QEMU’s SPICE server as the client', () => {
  beforeAll(async () => {
    const deb = await packagePath();
    const cache = cacheRoot();
    // Not `sway-…`: the image cache removes every other entry of that name.
    runDir = freshRunDir(cache, 'wayland-desktop-run');
    const image = await swayImage(cache, await guestImage(cache, phases), phases);
    process.stdout.write(`e2e guest: ${Object.values(image.versions).join(', ')}\n`);
    ({ guest, port, probe, spicePort } = await bootSpiceDesktop({ image, deb, runDir, actions: { 'file-xfer': FILE_XFER }, display: { vga: 'none', displays: ['virtio-gpu-pci,max_outputs=2'], trace: ['qemu_spice_ui_info'] }, phases, bootMs: BOOT_MS, stepMs: STEP_MS }));
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

  it('sway runs on the virtio-gpu DRM device in logind’s active wayland session of seat0; the agent finds it, takes WAYLAND_DISPLAY and SWAYSOCK from the user manager and starts the helper as the user', async () => {
    const session = await helperStartedFor({ probe, phases, stepMs: STEP_MS }, SWAY_USER, 'wayland');
    const shown = await probe.output('/usr/bin/loginctl', 'show-session', session, '--property=Type', '--property=Active', '--property=Seat');
    expect(shown.split('\n').filter(Boolean).sort()).toEqual(['Active=yes', 'Seat=seat0', 'Type=wayland']);
    expect(await agentJournal(probe)).toMatch(/session environment: [^\n]*\bWAYLAND_DISPLAY, SWAYSOCK\b[^;\n]* from the user manager/);
    // sway holds the virtio_gpu card (through logind's TakeDevice) and shows its connector.
    const cards = await probe.output('/bin/sh', '-c', `for f in /proc/$(pidof sway)/fd/*; do readlink "$f"; done | grep '^/dev/dri/card' | sort -u; readlink /sys/class/drm/card0/device/virtio*/driver`);
    expect(cards.split('\n').filter(Boolean)).toEqual(['/dev/dri/card0', expect.stringMatching(/\/virtio_gpu$/)]);
    // One output: the device's second head is not connected until the client asks for two monitors.
    const { layout } = await swayOutputs();
    process.stdout.write(`e2e guest: sway shows ${layout.join(', ')}; the kernel's connectors: ${(await connectors()).join(', ')}\n`);
    expect(layout).toEqual([expect.stringMatching(/^Virtual-1 \d+x\d+\+0\+0$/)]);
    expect(await connectors()).toEqual([expect.stringMatching(/^Virtual-1 connected /), 'Virtual-2 disconnected']);
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

  it('the client’s monitors config goes to the virtio-gpu device, not the agent: the kernel’s hotplug is followed and sway’s output takes 1152x720, a size sway did not list, as a custom mode', async () => {
    const booted = (await swayOutputs()).outputs.find((o) => o.name === 'Virtual-1');
    expect(booted?.modes.map((m) => `${m.width}x${m.height}`)).not.toContain('1152x720');
    const journal = await phases.run('monitors config → virtio-gpu hotplug → sway at 1152x720 (custom mode)', () => swayFollows([{ x: 0, y: 0, width: 1152, height: 720 }], ['Virtual-1 1152x720+0+0']));
    // QEMU's SPICE display of the virtio-gpu console (index 0) took the layout …
    expect(readFileSync(join(runDir, 'qemu-trace.log'), 'utf8')).toMatch(/qemu_spice_ui_info 0 1152x720/);
    // … the connector prefers it now, the agent applied it on the hotplug, and never saw MONITORS_CONFIG.
    expect(await connectors()).toEqual(['Virtual-1 connected 1152x720', 'Virtual-2 disconnected']);
    expect(journal).toContain('resolution: DRM hotplug, preferred modes applied: Virtual-1 1152x720+0+0');
    expect(journal).not.toMatch(/MONITORS_CONFIG|resolution: .*failed/);
  });

  it('two monitors asked for: the device’s second head connects, sway adds its output and shows both side by side at the sizes asked for; then one again', async () => {
    const two = await phases.run('two monitors → Virtual-2 connects → sway at 1024x768 + 960x600', () =>
      swayFollows(
        [
          { x: 0, y: 0, width: 1024, height: 768 },
          { x: 1024, y: 0, width: 960, height: 600 },
        ],
        ['Virtual-1 1024x768+0+0', 'Virtual-2 960x600+1024+0'],
      ),
    );
    // Each console took the monitor of its index.
    expect(readFileSync(join(runDir, 'qemu-trace.log'), 'utf8')).toMatch(/qemu_spice_ui_info 1 960x600/);
    expect(await connectors()).toEqual(['Virtual-1 connected 1024x768', 'Virtual-2 connected 960x600']);
    expect(two).toMatch(/resolution: DRM hotplug, preferred modes applied: .*Virtual-1 1024x768\+0\+0/);
    expect(two).not.toMatch(/MONITORS_CONFIG|resolution: .*failed/);
    const one = await phases.run('one monitor → Virtual-2 disconnects → sway at 1152x720', () => swayFollows([{ x: 0, y: 0, width: 1152, height: 720 }], ['Virtual-1 1152x720+0+0']));
    expect(await connectors()).toEqual(['Virtual-1 connected 1152x720', 'Virtual-2 disconnected']);
    expect((await swayOutputs()).outputs.map((o) => o.name)).toEqual(['Virtual-1']);
    expect(one).toContain('resolution: DRM hotplug, preferred modes applied: Virtual-1 1152x720+0+0');
    expect(one).not.toMatch(/MONITORS_CONFIG|resolution: .*failed/);
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
