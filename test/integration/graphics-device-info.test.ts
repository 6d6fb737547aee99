import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, MessageType, ReplyError, type DeviceDisplayInfo } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { monitorsConfig } from '../support/module-context.js';
import { underSysfs, writeDrmSysfs } from '../support/sysfs.js';
import { canStartXorg, startXorgDummy, type XServer } from '../support/x-server.js';

/** The active monitors as xrandr lists them (output, size, place), by output name. */
function monitors(x: XServer): string[] {
  return execFileSync('xrandr', ['--listmonitors'], { env: { ...process.env, ...x.env } })
    .toString()
    .split('\n')
    .map((l) => /^\s*\d+: [+*]*(\S+) (\d+)\/\d+x(\d+)\/\d+\+(\d+)\+(\d+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m[1]} ${m[2]}x${m[3]}+${m[4]}+${m[5]}`)
    .sort();
}

/** The server's device list: display 0 is output 2 of the card at 00:02.0, display 1 its output 0. */
const DEVICES: DeviceDisplayInfo[] = [
  { channelId: 0, monitorId: 0, deviceDisplayId: 2, deviceAddress: 'pci/0000/02.0' },
  { channelId: 0, monitorId: 1, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' },
];

// The Xorg dummy driver has no DRM device behind it; the daemon and its helper run in a mount
// namespace whose /sys shows one card at 0000:00:02.0 with connectors named as Xorg's outputs.
describe.runIf(canStartXorg)('GRAPHICS_DEVICE_INFO reaches the session helper (real daemon and helper, Xorg dummy, DRM card in sysfs)', () => {
  let dir: string;
  let x: XServer;
  let h: Harness;
  /** How many times a helper came up serving resolution. */
  const helpersServing = (): number => h.logs().match(/helper serves [^\n]*resolution/g)?.length ?? 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gdi-'));
    x = await startXorgDummy(dir);
    const sys = join(dir, 'sys');
    writeDrmSysfs(sys, [{ name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: ['DUMMY0', 'DUMMY1', 'DUMMY2', 'DUMMY3'].map((name, i) => ({ name, id: 30 + i })) }]);
    h = await startPtyHarness({
      actionsDirs: [makeActionsDir(dir, { 'graphics-device-info': '', resolution: '' })],
      session: 'current',
      env: { ...x.env, HOME: dir },
      prefix: underSysfs(sys),
      sim: { autoFlow: false },
    });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.MonitorsConfig), timeoutMs: 15_000 });
  }, 30_000);

  afterAll(async () => {
    await h?.stop();
    await x?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts each MONITORS_CONFIG entry on the output the device info names for its display id, not on the outputs in order', async () => {
    await h.sim.sendFromServer({ type: MessageType.GraphicsDeviceInfo, devices: DEVICES });
    await h.sim.send(monitorsConfig([{ width: 1000, height: 700 }, { width: 800, height: 600, x: 1000 }]));
    expect((await h.sim.expect(MessageType.Reply, { timeoutMs: 10_000 })).error).toBe(ReplyError.Success);
    expect(monitors(x)).toEqual(['DUMMY0 800x600+1000+0', 'DUMMY2 1000x700+0+0']);
  }, 20_000);

  it('hands the device info it keeps to a helper started after it arrived (here: the helper crashed and was restarted)', async () => {
    const pid = Number(/helper (\d+) started/.exec(h.logs())?.[1]);
    const before = helpersServing();
    process.kill(pid, 'SIGKILL');
    await expect.poll(helpersServing, { timeout: 15_000 }).toBeGreaterThan(before);
    await h.sim.send(monitorsConfig([{ width: 1280, height: 720 }, { width: 1024, height: 768, x: 1280 }]));
    expect((await h.sim.expect(MessageType.Reply, { timeoutMs: 10_000 })).error).toBe(ReplyError.Success);
    expect(monitors(x)).toEqual(['DUMMY0 1024x768+1280+0', 'DUMMY2 1280x720+0+0']);
  }, 30_000);
});
