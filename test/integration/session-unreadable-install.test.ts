import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, ClipboardSelection, ClipboardType, FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startBusDaemon, type BusDaemon } from '../support/dbus-daemon.js';
import { FakeLogind } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { CLI, ROOT, startPtyHarness, type Harness } from '../support/harness.js';
import { helperPid } from '../support/proc.js';
import { createTestUser, removeTestUser, type TestUser } from '../support/test-user.js';
import { COMPOSITOR_USER, compositorUser, startSway } from '../support/wayland.js';
import { wlCopy, type WlCopy } from '../support/wl-clipboard.js';
import { startXvfb, type XServer } from '../support/x-server.js';
import { xclipCopy } from '../support/xclip.js';

const USER = 'vdagent-0700';

/**
 * Copies what an installation holds (dist/, package.json, node_modules/ as real files, as in a CI
 * clone) into `<parent>/vdagent`; returns the copy's CLI.
 */
function installCopy(parent: string): string {
  const copy = join(parent, 'vdagent');
  mkdirSync(copy);
  execFileSync('cp', ['-a', join(ROOT, 'dist'), join(ROOT, 'package.json'), copy]);
  execFileSync('cp', ['-a', realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules')]);
  return join(copy, 'dist', 'cli.js');
}

describe.runIf(process.getuid?.() === 0)('a helper whose user cannot read the installation (a checkout in a 0700 directory)', () => {
  let install: string;
  let root: string;
  let bus: BusDaemon;
  let logind: FakeLogind;
  let user: TestUser;
  let x: XServer;
  let agent: Harness;

  beforeAll(async () => {
    install = mkdtempSync(join(tmpdir(), 'install-'));
    chmodSync(install, 0o700);
    const cli = installCopy(install);
    root = mkdtempSync(join(tmpdir(), 'unreadable-'));
    chmodSync(root, 0o755);
    user = createTestUser(USER, join(root, 'home'));
    bus = await startBusDaemon(join(root, 'system_bus_socket'));
    logind = await FakeLogind.start(bus.address);
    x = await startXvfb();
    // The daemon runs the copy: the prefix replaces the CLI the harness names (after node's flags) with the copy's.
    agent = await startPtyHarness({
      actionsDirs: [makeActionsDir(root, { 'file-xfer': '', clipboard: '' })],
      session: 'auto',
      env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address },
      prefix: ['sh', '-c', `for a; do shift; [ "$a" = "${CLI}" ] && a="${cli}"; set -- "$@" "$a"; done; exec "$0" "$@"`],
    });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await x?.stop();
    logind?.stop();
    await bus?.stop();
    removeTestUser(USER);
    rmSync(root, { recursive: true, force: true });
    rmSync(install, { recursive: true, force: true });
  });

  it('is set up as it should be: the session user cannot read the copy the daemon runs', () => {
    expect(statSync(install).mode & 0o777).toBe(0o700);
    expect(readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0')).toContain(join(install, 'vdagent', 'dist', 'cli.js'));
    expect(spawnSync('cat', [join(install, 'vdagent', 'package.json')], { uid: user.uid, gid: user.gid }).status).not.toBe(0);
  });

  it('loads everything before dropping privileges: one helper serves file transfers and the X11 clipboard', async () => {
    logind.add({ id: '1', user: USER, uid: user.uid, gid: user.gid, display: x.display });
    logind.activate('1');
    expect((await new TransferClient(agent).untilServed()).result).toBe(FileXferResult.CanSendData);
    const helper = helperPid(agent.pid);
    expect(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${helper}/status`, 'utf8'))?.[1])).toBe(user.uid);

    await agent.sim.send({ type: MessageType.FileXferStart, id: 1, keyfile: '[vdagent-file-xfer]\nname=landed.txt\nsize=6\n' });
    expect((await agent.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === 1, timeoutMs: 5000 })).result).toBe(FileXferResult.CanSendData);
    await agent.sim.send({ type: MessageType.FileXferData, id: 1, data: Buffer.from('landed') });
    expect((await agent.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === 1, timeoutMs: 5000 })).result).toBe(FileXferResult.Success);
    expect(readFileSync(join(user.home, 'landed.txt'), 'utf8')).toBe('landed');

    // The X11 backend (loaded on demand, with koffi and libX11) follows the guest's copy.
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.ClipboardByDemand), timeoutMs: 15_000 });
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'copied as the user');
    const grab = await agent.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 5000 });
    expect([grab.selection, grab.types]).toEqual([ClipboardSelection.Clipboard, [ClipboardType.Utf8Text]]);
    await agent.sim.send({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text });
    expect((await agent.sim.expect(MessageType.Clipboard, { timeoutMs: 5000 })).data.toString()).toBe('copied as the user');
    // Still the first helper: nothing it needed later was missing.
    expect(helperPid(agent.pid)).toBe(helper);
  });

  it('on Wayland, the helper finds WAYLAND_DISPLAY in its leader as the user, and the Wayland clipboard follows the guest', async () => {
    const dir = mkdtempSync(join(root, 'sway-'));
    const sway = await startSway(dir);
    const { uid, gid } = compositorUser();
    const leader = spawn('sleep', ['60'], { uid, gid, env: { WAYLAND_DISPLAY: sway.env.WAYLAND_DISPLAY }, stdio: 'ignore' });
    let copy: WlCopy | undefined;
    try {
      agent.sim.consumeAll();
      logind.add({ id: '2', user: COMPOSITOR_USER, uid, gid, type: 'wayland', runtimePath: sway.env.XDG_RUNTIME_DIR, leader: leader.pid });
      logind.activate('2');
      await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.ClipboardByDemand), timeoutMs: 15_000 });
      copy = wlCopy(sway.env, 'clipboard', 'text/plain;charset=utf-8', 'copied on wayland');
      const grab = await agent.sim.expect(MessageType.ClipboardGrab, { timeoutMs: 5000 });
      expect([grab.selection, grab.types]).toEqual([ClipboardSelection.Clipboard, [ClipboardType.Utf8Text]]);
      await agent.sim.send({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text });
      expect((await agent.sim.expect(MessageType.Clipboard, { timeoutMs: 5000 })).data.toString()).toBe('copied on wayland');
    } finally {
      await copy?.stop();
      leader.kill();
      logind.clear();
      await sway.stop();
    }
  });
});
