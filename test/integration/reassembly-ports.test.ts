import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapabilitySet, ChunkPort, ClipboardSelection, ClipboardType, MessageType, toChunks, type Message } from '../../src/protocol/index.js';
import { SPICE_GTK_0_42 } from '../../src/sim/profiles.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { daemonAndHelperRss } from '../support/flood.js';

const MiB = 1 << 20;
/** The clipboard each port carries. */
const SIZE = 64 * MiB;

describe('a host interleaving two clipboard messages on both chunk ports (real daemon, helper on Xvfb)', () => {
  let d: DesktopDaemon;

  beforeEach(async () => {
    d = await startDesktopDaemon({ socketPort: true });
  });

  afterEach((ctx) => stopAfterTest(d, ctx.task.result?.state === 'fail'));

  it('holds one of them whole, not both: daemon + helper stay under three times its size over idle, and serve after', async () => {
    await expect.poll(() => d.helper(), { timeout: 10_000 }).toBeDefined();
    const idle = daemonAndHelperRss(d.agent.pid);
    const message: Message = { type: MessageType.Clipboard, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text, data: Buffer.alloc(SIZE, 0x41) };
    const ctx = { peerCaps: SPICE_GTK_0_42.caps ?? CapabilitySet.empty };
    const client = toChunks(message, ctx, ChunkPort.Client);
    const server = toChunks(message, ctx, ChunkPort.Server);
    const interleaved = Buffer.concat(client.flatMap((c, i) => [c, server[i] as Buffer]));
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, daemonAndHelperRss(d.agent.pid))), 10);
    try {
      await d.agent.sim.sendRaw(interleaved);
      d.agent.sim.consumeAll();
      d.agent.sim.connect();
      await d.agent.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 20_000 });
      // The helper takes what was forwarded to it meanwhile: the peak is watched a while longer.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      clearInterval(sampler);
    }
    // One clipboard message costs about twice its size: the daemon's copy and the helper's.
    expect(peak - idle).toBeLessThan(3 * SIZE);
    expect(d.running()).toBe(true);
  }, 60_000);
});
