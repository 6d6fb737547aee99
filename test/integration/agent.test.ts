import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, ChunkPort, MessageType, type AnnounceCapabilitiesMessage } from '../../src/protocol/index.js';
import { chunk, garbage, rawMessage } from '../support/frames.js';
import { cpuTicks } from '../support/proc.js';
import { startMemoryHarness, startPtyHarness, type Harness, type HarnessFactory } from '../support/harness.js';

const ANNOUNCE_REQUEST = Buffer.from([1, 0, 0, 0, 0x77, 0x50, 0x03, 0x00]); // request=1, caps 0x00035077

const kinds: [string, HarnessFactory][] = [
  ['a real pty and the daemon process', startPtyHarness],
  ['an in-memory port and the daemon in-process', startMemoryHarness],
];

describe.each(kinds)('the agent on %s', (_kind, start) => {
  let h: Harness;

  beforeEach(async () => {
    h = await start();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs()}\n`);
    await h.stop();
  });

  /** Waits for the agent's start-up announcement (request=1). */
  const startup = (timeoutMs = 5000): Promise<AnnounceCapabilitiesMessage> =>
    h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs });

  /** A new client announces itself; the agent must answer with request=0. */
  async function stillServes(timeoutMs = 5000): Promise<void> {
    h.sim.consumeAll();
    h.sim.connect();
    const answer = await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs });
    expect(answer.caps.has(Capability.GraphicsDeviceInfo)).toBe(true);
  }

  it('announces exactly the enabled modules’ bits with request=1 when the port opens', async () => {
    const first = await startup();
    // Vendor actions.d without a session: mouse and graphics-device-info run in the daemon; no
    // module takes files (file-xfer lives in the absent session helper), so transfers are disabled.
    expect(first.caps.bits()).toEqual([Capability.MouseState, Capability.FileXferDisabled, Capability.GraphicsDeviceInfo]);
  });

  it('answers the client’s request=1 with request=0 and its capabilities', async () => {
    await startup();
    await stillServes();
  });

  it('treats every request=1 as a new client and answers each', async () => {
    await startup();
    for (let i = 0; i < 3; i++) await stillServes();
  });

  it('receives the GRAPHICS_DEVICE_INFO spice-server sends after the announcement', async () => {
    await startup();
    await expect.poll(() => h.logs(), { timeout: 5000 }).toContain('pci/0000/02.0');
  });

  it('is idle when nothing arrives: no timers pending, no CPU used', async () => {
    await startup();
    await stillServes();
    await new Promise((r) => setTimeout(r, 200));
    if (h.pid === process.pid) {
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout')).toEqual([]);
    } else {
      const before = cpuTicks(h.pid);
      await new Promise((r) => setTimeout(r, 1500));
      expect(cpuTicks(h.pid) - before).toBeLessThanOrEqual(2); // clock ticks of 10 ms
    }
  });

  it('discards a partial client message on CLIENT_DISCONNECTED', async () => {
    await startup();
    // The first 2048 bytes of a 4000-byte message on port 1; the rest never comes.
    const big = rawMessage(MessageType.FileXferData, Buffer.alloc(3980));
    await h.sim.sendRaw(chunk(ChunkPort.Client, big.subarray(0, 2048)));
    await h.sim.disconnect();
    await stillServes();
  });

  it('drops a message with protocol number 2 and keeps serving', async () => {
    await startup();
    await h.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.AnnounceCapabilities, ANNOUNCE_REQUEST, { protocol: 2 })));
    await stillServes();
    expect(h.logs()).toContain('BadProtocolVersion');
  });

  it('drops an unknown message type 99 and keeps serving', async () => {
    await startup();
    await h.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(99, Buffer.from('hello'))));
    await stillServes();
    expect(h.logs()).toContain('unknown message type 99');
  });

  it('ignores a zero-size chunk', async () => {
    await startup();
    await h.sim.sendRaw(chunk(ChunkPort.Client, Buffer.alloc(0)));
    await stillServes();
  });

  it('recovers from a truncated message followed by a valid one', async () => {
    await startup();
    // Declares 30 payload bytes, delivers 10; the next chunk (28 bytes) cannot belong to it.
    await h.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.AnnounceCapabilities, Buffer.alloc(10), { declaredSize: 30 })));
    await stillServes();
    expect(h.logs()).toContain('MessageTruncated');
  });

  it('refuses a message declaring 4 GiB without allocating for it', async () => {
    await startup();
    const before = h.rss();
    await h.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.FileXferData, Buffer.alloc(100), { declaredSize: 0xffffffff })));
    await stillServes();
    expect(h.logs()).toContain('MessageTooLarge');
    expect(h.rss() - before).toBeLessThan(20 * 1024 * 1024);
  });

  it('holds only received bytes for a message declaring 100 MiB', async () => {
    await startup();
    const before = h.rss();
    const header = rawMessage(MessageType.Clipboard, Buffer.alloc(2028), { declaredSize: 100 * 1024 * 1024 });
    await h.sim.sendRaw(chunk(ChunkPort.Client, header));
    await h.sim.disconnect();
    await stillServes();
    expect(h.rss() - before).toBeLessThan(20 * 1024 * 1024);
  });

  it.each([
    ['chunk port 0', chunk(0, rawMessage(MessageType.AnnounceCapabilities, ANNOUNCE_REQUEST))],
    ['chunk port 3', chunk(3, rawMessage(MessageType.AnnounceCapabilities, ANNOUNCE_REQUEST))],
    ['chunk size 2049', chunk(ChunkPort.Client, Buffer.alloc(2049))],
    ['1 MiB of random bytes', garbage(1024 * 1024)],
  ])('resyncs after %s: reopens, announces again and keeps serving', async (_what, bytes) => {
    await startup();
    h.sim.consumeAll();
    await h.sim.sendRaw(bytes);
    await startup(30_000);
    // Like a host that reconnects after the agent reopened: bytes still in flight when the port
    // was reopened can cost another resync, so the request is repeated until answered.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await stillServes(2000);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
    expect(h.logs()).toMatch(/BadChunkPort|ChunkTooLarge/);
  }, 90_000);
});
