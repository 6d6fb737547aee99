import { chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, MessageType } from '../../src/protocol/index.js';
import { startPtyHarness, type Harness } from '../support/harness.js';

describe('actions.d reload in the running daemon', () => {
  let root: string;
  let vendor: string;
  let admin: string;
  let h: Harness;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'reload-'));
    chmodSync(root, 0o755);
    vendor = join(root, 'vendor');
    admin = join(root, 'admin'); // created later: not watched until a reload
    mkdirSync(vendor, { mode: 0o755 });
    writeFileSync(join(vendor, 'graphics-device-info'), '', { mode: 0o644 });
    h = await startPtyHarness({ actionsDirs: [vendor, admin] });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs()}\n`);
    await h.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** The next announcement with request=0 the daemon sends by itself. */
  const reannounced = () => h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });

  it('re-announces without a module’s bit when its entry is removed, and drops its messages from then on', async () => {
    h.sim.consumeAll();
    unlinkSync(join(vendor, 'graphics-device-info'));
    const after = await reannounced();
    expect(after.caps.has(Capability.GraphicsDeviceInfo)).toBe(false);
    await h.sim.sendFromServer({ type: MessageType.GraphicsDeviceInfo, devices: [] });
    await expect.poll(() => h.logs(), { timeout: 5000 }).toContain('GRAPHICS_DEVICE_INFO dropped: no enabled module handles it');
  });

  it('re-announces with the bit again when the entry comes back', async () => {
    unlinkSync(join(vendor, 'graphics-device-info'));
    await reannounced();
    h.sim.consumeAll();
    writeFileSync(join(vendor, 'graphics-device-info'), '', { mode: 0o644 });
    expect((await reannounced()).caps.has(Capability.GraphicsDeviceInfo)).toBe(true);
  });

  it('reloads on SIGHUP: a mask in a directory created after start takes effect', async () => {
    mkdirSync(admin, { mode: 0o755 });
    symlinkSync('/dev/null', join(admin, 'graphics-device-info'));
    await new Promise((r) => setTimeout(r, 500));
    expect(h.logs()).not.toContain('reloading');
    h.sim.consumeAll();
    process.kill(h.pid, 'SIGHUP');
    expect((await reannounced()).caps.has(Capability.GraphicsDeviceInfo)).toBe(false);
    expect(h.logs()).toContain('SIGHUP: reloading actions.d');
  });
});

describe.runIf(process.getuid?.() === 0)('actions.d entries reached through links, in the running root daemon', () => {
  let root: string;
  let available: string;
  let h: Harness;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'reload-links-'));
    chmodSync(root, 0o755);
    const vendor = join(root, 'vendor');
    available = join(root, 'available');
    mkdirSync(vendor, { mode: 0o755 });
    mkdirSync(available, { mode: 0o755 });
    // vendor/graphics-device-info -> available/graphics-device-info (a link) -> available/on
    writeFileSync(join(available, 'on'), '', { mode: 0o644 });
    symlinkSync(join(available, 'on'), join(available, 'graphics-device-info'));
    symlinkSync(join(available, 'graphics-device-info'), join(vendor, 'graphics-device-info'));
    h = await startPtyHarness({ actionsDirs: [vendor] });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs()}\n`);
    await h.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('drops the module when a middle link is re-pointed through a directory an unprivileged user owns', async () => {
    const first = await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    expect(first.caps.has(Capability.GraphicsDeviceInfo)).toBe(true);
    const user = join(root, 'user');
    mkdirSync(user, { mode: 0o755 });
    chownSync(user, 65534, 65534);
    writeFileSync(join(user, 'on'), '', { mode: 0o644 });
    h.sim.consumeAll();
    // Only the middle link changes: the daemon follows the directory it lives in.
    unlinkSync(join(available, 'graphics-device-info'));
    symlinkSync(join(user, 'on'), join(available, 'graphics-device-info'));
    const after = await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    expect(after.caps.has(Capability.GraphicsDeviceInfo)).toBe(false);
    expect(h.logs()).toContain(`${user} is owned by uid 65534`);
  });
});
