import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, CapabilitySet, ClipboardSelection, MessageType } from '../../src/protocol/index.js';
import { SPICE_GTK_0_42 } from '../../src/sim/profiles.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { xclipCopy } from '../support/xclip.js';

describe('a client that drops CLIPBOARD_SELECTION mid-stream (real daemon, helper on Xvfb)', () => {
  let d: DesktopDaemon;

  beforeEach(async () => {
    d = await startDesktopDaemon();
  });

  afterEach((ctx) => stopAfterTest(d, ctx.task.result?.state === 'fail'));

  it('loses its helper holding a PRIMARY grab it can no longer hear of: the daemon stays up and serves the next client', async () => {
    await expect.poll(() => d.helper(), { timeout: 10_000 }).toBeDefined();
    await xclipCopy(d.xEnv, 'primary', 'UTF8_STRING', 'selected in the guest');
    await d.agent.sim.expect(MessageType.ClipboardGrab, { where: (m) => m.selection === ClipboardSelection.Primary, timeoutMs: 10_000 });
    // The same client announces again (request=0), now without the selection prefix.
    await d.agent.sim.send({ type: MessageType.AnnounceCapabilities, request: false, caps: (SPICE_GTK_0_42.caps ?? CapabilitySet.empty).without(Capability.ClipboardSelection) });
    await new Promise((r) => setTimeout(r, 200));
    const lost = d.helper() as number;
    process.kill(lost, 'SIGKILL');
    // The daemon tells the client what the helper held, and starts another helper.
    await expect.poll(() => d.helper() ?? (d.running() ? lost : 'daemon ended'), { timeout: 10_000 }).not.toBe(lost);
    expect(d.running()).toBe(true);
    d.agent.sim.consumeAll();
    d.agent.sim.connect();
    await d.agent.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 10_000 });
  }, 60_000);
});
