import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability } from '../../src/protocol/index.js';
import { cacheRoot, freshRunDir } from './support/cache.js';
import { buildDataDisk } from './support/data-disk.js';
import { DESKTOP_DISPLAY, DESKTOP_USER, desktopImage } from './support/desktop-image.js';
import { guestImage } from './support/guest-image.js';
import { LineChannel } from './support/line-channel.js';
import { eventually } from './support/eventually.js';
import { freePort } from './support/migration.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { agentJournal, journalMatch } from './support/agent-journal.js';
import { ProbeQuestions } from './support/probe-questions.js';
import { bootGuest, type RunningGuest } from './support/qemu.js';
import { SocketPort } from './support/socket-port.js';
import { SpiceClient } from './support/spice-client.js';

// The display device's path of a resize: QEMU with SPICE, a QXL device and a virtio-gpu device
// beside it, the desktop guest (Xorg with the modesetting driver on the qxl DRM driver, openbox,
// the user logged in on seat0) and spice-gtk's client library as the client. With the guests'
// DRM drivers loaded, spice-server hands the client's monitors configuration to the devices
// (QEMU's client_monitors_config: the QXL device takes every monitor as one of its heads, the
// virtio-gpu device's SPICE display the monitor of its console's index, 1), not to the agent: the
// kernel changes the connectors' preferred modes and sends hotplug uevents, and the agent's session
// helper, following those, applies the preferred modes. One boot.

const BOOT_MS = 600_000;
const STEP_MS = 120_000;
/** How long the screen may take to follow a request (the test asserts it does within this). */
const FOLLOW_MS = 30_000;
/** xrandr as the desktop's user on its display. */
const XRANDR = ['/usr/sbin/runuser', '-u', DESKTOP_USER.name, '--', '/usr/bin/env', `DISPLAY=${DESKTOP_DISPLAY}`, '/usr/bin/xrandr'];
/** The uevents of the drm subsystem as udev passes them on, recorded in the guest while the test runs. */
const UEVENT_LOG = '/run/drm-uevents.log';

const phases = new Phases();
const ports: SocketPort[] = [];
let guest: RunningGuest;
let probe: LineChannel;
let questions: ProbeQuestions;
let client: SpiceClient;
let traceLog: string;
/** The QXL device's and the virtio-gpu device's DRM cards. */
let qxlCard: string;
let gpuCard: string;
/** The X outputs (the QXL's heads: Xorg cannot show the virtio-gpu card, see below), in xrandr's order. */
let heads: string[];

/** What `xrandr` shows: the screen's size, the first connected output, the size it shows, its current (`*`) and preferred (`+`) modes. */
interface XScreen {
  current: string;
  output: string;
  shown: string;
  mode: string;
  preferred: string;
  text: string;
}

/** The X screen as `xrandr` shows it to the desktop's user. */
async function screen(): Promise<XScreen> {
  const text = await questions.output(...XRANDR);
  const current = /current (\d+) x (\d+)/.exec(text);
  const output = /^(\S+) connected (?:primary )?(?:(\d+x\d+)\+\d+\+\d+)?/m.exec(text);
  const modes = text.split('\n').filter((l) => /^\s+\d+x\d+/.test(l));
  const mode = modes.find((l) => l.includes('*'))?.trim().split(/\s+/)[0] ?? '';
  const preferred = modes.find((l) => l.includes('+'))?.trim().split(/\s+/)[0] ?? '';
  return { current: current ? `${current[1]}x${current[2]}` : '', output: output?.[1] ?? '', shown: output?.[2] ?? '', mode, preferred, text };
}

/** Waits until `check` holds for the X screen, up to `ms`; the last reading either way. */
async function screenUntil(check: (s: XScreen) => boolean, ms: number): Promise<XScreen> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await screen();
    if (check(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The DRM card (`card0`) bound to the guest's `driver` (`qxl`, `virtio_gpu`): the kernel numbers
 * cards, and connectors of one type across cards (`Virtual-N`), in the order the drivers probe,
 * which differs from boot to boot.
 */
async function cardOf(driver: string): Promise<string> {
  const script = 'cd /sys/class/drm && for c in card*; do case $c in *-*) continue;; esac; for d in $c/device/driver $c/device/virtio*/driver; do [ -e "$d" ] && echo "$c $(basename "$(readlink "$d")")"; done; done';
  const text = await questions.output('/usr/bin/sh', '-c', script);
  const card = text.split('\n').find((l) => l.endsWith(` ${driver}`))?.split(' ')[0];
  if (!card) throw new Error(`no DRM card bound to ${driver} in the guest:\n${text}`);
  return card;
}

/** The X outputs `xrandr` lists, in its order. */
const outputsOf = (s: XScreen): string[] => [...s.text.matchAll(/^(\S+) (?:connected|disconnected)/gm)].map((m) => m[1] as string);

/** The HOTPLUG uevents of DRM card `card` udev has passed on so far (`udevadm monitor --property` blocks). */
async function hotplugs(card: string): Promise<number> {
  const text = (await questions.run('/usr/bin/cat', UEVENT_LOG)).stdout;
  return text.split('\n\n').filter((block) => /^ACTION=change$/m.test(block) && /^HOTPLUG=1$/m.test(block) && block.includes(`\nDEVNAME=/dev/dri/${card}\n`)).length;
}

/** Each connector of DRM card `card` as sysfs shows it: `Virtual-5 connected 800x600` (the first mode is the preferred one). */
async function connectors(card: string): Promise<string[]> {
  const text = await questions.output('/usr/bin/sh', '-c', `cd /sys/class/drm && for c in ${card}-*; do echo "\${c#${card}-} $(cat $c/status) $(head -n 1 $c/modes)"; done`);
  return text.split('\n').filter(Boolean).map((l) => l.trim());
}

describe('a SPICE client’s monitors configuration through the display devices and the DRM hotplug (qxl and virtio-gpu, Xorg modesetting)', () => {
  beforeAll(async () => {
    const deb = await packagePath();
    const cache = cacheRoot();
    const runDir = freshRunDir(cache, 'drm-resize-run');
    const image = await desktopImage(cache, await guestImage(cache, phases), phases);
    process.stdout.write(`e2e guest: ${Object.values(image.versions).join(', ')}\n`);
    const dataDisk = join(runDir, 'data.img');
    await phases.run('data disk with the package', () => buildDataDisk({ deb, actions: {}, enable: [] }, runDir, dataDisk));
    const port = await freePort();
    guest = await bootGuest(image, dataDisk, runDir, ['probe'], {
      spice: { port, seamlessMigration: false },
      vga: 'qxl',
      displays: ['virtio-gpu-pci'],
      trace: ['qxl_client_monitors_config*', 'qemu_spice_ui_info'],
    });
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
    await phases.run('agent, helper of the desktop’s user serving resolution', () => journalMatch(questions, /session \S+: helper serves .*resolution.*/, STEP_MS));
    // A record of udev's drm events for the test to read (stopped with the guest).
    await questions.output('/usr/bin/systemd-run', '--unit', 'e2e-drm-uevents', '--', '/usr/bin/sh', '-c', `exec /usr/bin/udevadm monitor --udev --subsystem-match=drm --property > ${UEVENT_LOG}`);
    client = await SpiceClient.start();
    await phases.run('SPICE client connected, agent announced', async () => {
      client.connect(port);
      await client.next((e) => e.event === 'agent' && e.connected === true && (e.caps as number[]).includes(Capability.MonitorsConfig), 0, STEP_MS);
    });
  }, BOOT_MS + 4 * STEP_MS);

  afterAll(async () => {
    await client?.quit();
    for (const p of ports) await p.close();
    await guest?.stop();
    process.stdout.write(phases.summary());
  });

  it('the guest drives the QXL device with the qxl DRM driver and the virtio-gpu device with virtio_gpu; Xorg shows the QXL’s first head', async () => {
    [qxlCard, gpuCard] = [await cardOf('qxl'), await cardOf('virtio_gpu')];
    const s = await screen();
    heads = outputsOf(s);
    process.stdout.write(`e2e guest: qxl ${qxlCard}, virtio-gpu ${gpuCard}; X outputs ${heads.join(' ')}; ${s.output} shows ${s.shown} (preferred ${s.preferred}), screen ${s.current}\n`);
    expect(heads).toHaveLength(4); // the QXL device's four heads
    expect(s).toMatchObject({ output: heads[0], shown: '1024x768', current: '1024x768' });
  });

  it('1280x800 asked for: the QXL device gets it, the kernel sends a hotplug, the agent applies the preferred mode and the X screen becomes 1280x800', async () => {
    const before = await hotplugs(qxlCard);
    const journalBefore = (await agentJournal(questions)).length;
    const asked = Date.now();
    const id = client.sendMonitors([{ x: 0, y: 0, width: 1280, height: 800 }]);
    expect((await client.next((e) => e.event === 'monitors' && e.id === id, 0, STEP_MS)).sent).toBe(true);
    const s = await phases.run('X screen follows 1280x800', () => screenUntil((x) => x.current === '1280x800', FOLLOW_MS));
    const took = Date.now() - asked;
    process.stdout.write(`e2e guest: ${took} ms after the request: ${s.output} shows ${s.shown} (preferred ${s.preferred}), screen ${s.current}\n`);
    expect(s).toMatchObject({ current: '1280x800', shown: '1280x800', mode: '1280x800', preferred: '1280x800' });
    expect(took).toBeLessThan(FOLLOW_MS);
    // The device, not the agent, got the layout: QEMU's qxl checked it in (its CRC trace) …
    expect(readFileSync(traceLog, 'utf8')).toMatch(/qxl_client_monitors_config_crc 0 \d+ \d+/);
    // … the kernel raised a hotplug, and the agent applied the preferred mode on it, with no MONITORS_CONFIG.
    expect(await hotplugs(qxlCard)).toBeGreaterThan(before);
    // The journal may take the agent's line a moment after the screen changed.
    const since = (): Promise<string> => agentJournal(questions).then((j) => j.slice(journalBefore));
    await expect.poll(since, { timeout: STEP_MS }).toContain(`resolution: DRM hotplug, preferred modes applied: ${s.output} 1280x800+0+0`);
    process.stdout.write(`e2e agent journal:\n${await since()}\n`);
    expect(await since()).not.toMatch(/MONITORS_CONFIG/);
  });

  it('two monitors asked for: the QXL’s second head connects and the agent lays both left to right; the virtio-gpu device takes the second', async () => {
    const [beforeQxl, beforeGpu] = [await hotplugs(qxlCard), await hotplugs(gpuCard)];
    const journalBefore = (await agentJournal(questions)).length;
    const asked = Date.now();
    const id = client.sendMonitors([
      { x: 0, y: 0, width: 1280, height: 800 },
      { x: 1280, y: 0, width: 800, height: 600 },
    ]);
    expect((await client.next((e) => e.event === 'monitors' && e.id === id, 0, STEP_MS)).sent).toBe(true);
    const s = await phases.run('X screen follows 1280x800 + 800x600', () => screenUntil((x) => x.current === '2080x800', FOLLOW_MS));
    process.stdout.write(`e2e guest: ${Date.now() - asked} ms after the request:\n${s.text}\n`);
    expect(s.current).toBe('2080x800');
    expect(s.text).toContain(`\n${heads[0]} connected primary 1280x800+0+0 `);
    expect(s.text).toContain(`\n${heads[1]} connected 800x600+1280+0 `);
    await expect
      .poll(async () => (await agentJournal(questions)).slice(journalBefore), { timeout: STEP_MS })
      .toContain(`resolution: DRM hotplug, preferred modes applied: ${heads[0]} 1280x800+0+0, ${heads[1]} 800x600+1280+0`);
    expect(await hotplugs(qxlCard)).toBeGreaterThan(beforeQxl);
    // virtio-gpu: QEMU's SPICE display of the device's console (index 1) took the second monitor,
    // the kernel raised a hotplug on card1 and its connector now prefers 800x600. Xorg runs that
    // card as a GPU screen it cannot show (the qxl driver is no PRIME output source, so
    // `xrandr --listproviders` shows it unbound): the X side is the QXL's.
    expect(readFileSync(traceLog, 'utf8')).toContain('qemu_spice_ui_info 1 800x600');
    await eventually(async () => expect(await hotplugs(gpuCard)).toBeGreaterThan(beforeGpu), STEP_MS);
    expect(await connectors(gpuCard)).toEqual([expect.stringMatching(/^Virtual-\d+ connected 800x600$/)]);
  });

  it('with auto-resize = off the kernel’s new preferred mode is left alone: the X screen stays as it was', async () => {
    const restarts = (await agentJournal(questions)).split('auto-resize is off').length;
    await phases.run('auto-resize = off in /etc/vdagent/actions.d/resolution', async () => {
      await questions.output('/usr/bin/sh', '-c', "printf 'auto-resize = off\\n' > /etc/vdagent/actions.d/resolution");
      for (let i = 0; (await agentJournal(questions)).split('auto-resize is off').length === restarts; i++) {
        if (i > STEP_MS / 1000) throw new Error(`the helper never restarted its resolution module with auto-resize = off:\n${await agentJournal(questions)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
    const before = await hotplugs(qxlCard);
    const journalBefore = (await agentJournal(questions)).length;
    const id = client.sendMonitors([{ x: 0, y: 0, width: 1152, height: 864 }]);
    expect((await client.next((e) => e.event === 'monitors' && e.id === id, 0, STEP_MS)).sent).toBe(true);
    const s = await phases.run('hotplug with 1152x864 preferred, screen kept', async () => {
      await screenUntil((x) => x.preferred === '1152x864', FOLLOW_MS);
      // Longer than the agent took to follow above: it would have resized by now.
      await new Promise((r) => setTimeout(r, 10_000));
      return screen();
    });
    process.stdout.write(`e2e guest: with auto-resize = off:\n${s.text}\n`);
    expect(await hotplugs(qxlCard)).toBeGreaterThan(before);
    // The kernel's new mode list no longer has 1280x800 and the second head is disconnected; the outputs still show the old layout.
    expect(s).toMatchObject({ current: '2080x800', output: heads[0], shown: '1280x800', preferred: '1152x864' });
    expect(s.text).toContain(`\n${heads[1]} disconnected 800x600+1280+0 `);
    expect((await agentJournal(questions)).slice(journalBefore)).not.toContain('DRM hotplug');
  });
});
