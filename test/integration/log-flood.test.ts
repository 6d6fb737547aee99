/**
 * A host flooding the real daemon (on a pty) with messages that each cause a log line: alternating
 * CLIENT_DISCONNECTED and GRAPHICS_DEVICE_INFO, and other host-triggered lines whose text varies
 * (unknown types, refused sizes, bad protocol numbers, pointer states for unknown displays). The
 * daemon writes at most its budget of lines per window, then one line counting what it suppressed,
 * and still answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkPort, MessageType, serialize, splitMessage, NO_PEER, type Message } from '../../src/protocol/index.js';
import { chunk, rawMessage } from '../support/frames.js';
import { startPtyHarness, type Harness } from '../support/harness.js';

/** The default flood control: lines in all per window. */
const BUDGET = 100;
const FLOOD_MS = 3000;

/** Server-generated messages on port 2, as spice-server sends them. */
function fromServer(m: Message): Buffer {
  return Buffer.concat(splitMessage(serialize(m, NO_PEER), ChunkPort.Server));
}

/** Log lines one round causes (a pointer state for an unknown display is reported once per display). */
const LINES_PER_ROUND = 5;

/** One round of the flood; `i` makes every varying text differ, in numbers and in letters. */
function round(i: number): Buffer {
  return Buffer.concat([
    fromServer({ type: MessageType.ClientDisconnected }),
    fromServer({ type: MessageType.GraphicsDeviceInfo, devices: [{ channelId: 0, monitorId: i % 4, deviceDisplayId: i, deviceAddress: `pci/0000/${String.fromCharCode(97 + (i % 26)).repeat(1 + (i % 30))}.${i}` }] }),
    chunk(ChunkPort.Client, rawMessage(17 + (i % 100_000), Buffer.alloc(i % 7))),
    chunk(ChunkPort.Client, rawMessage(MessageType.FileXferData, Buffer.alloc(0), { declaredSize: 2_000_000 + i })),
    chunk(ChunkPort.Client, rawMessage(MessageType.MaxClipboard, Buffer.alloc(4), { protocol: 2 + i })),
    fromServer({ type: MessageType.MouseState, x: i, y: i, buttons: 0, displayId: 1 + (i % 255) }),
  ]);
}

describe('log flood from the host (real daemon on a pty)', () => {
  let h: Harness | undefined;

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && h) process.stderr.write(`--- daemon log (tail) ---\n${h.logs().slice(-5000)}\n`);
    await h?.stop();
  });

  it('writes at most the budget of lines per window, then the count it suppressed, and keeps serving', async () => {
    h = await startPtyHarness();
    const harness = h;
    await harness.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    const start = harness.logs().length;

    let i = 0;
    const until = Date.now() + FLOOD_MS;
    while (Date.now() < until) {
      await harness.sim.sendRaw(Buffer.concat(Array.from({ length: 200 }, () => round(i++))));
    }
    // Everything sent has been read once the daemon answers a client that announces after it.
    harness.sim.consumeAll();
    harness.sim.connect();
    await harness.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 30_000 });

    const during = harness.logs().slice(start).split('\n').filter(Boolean);
    process.stderr.write(`log flood: ${i} rounds (${i * 6} host messages) gave ${during.length} log lines\n`);
    // A flood of a few seconds touches at most two 10-second windows.
    expect(during.length).toBeLessThanOrEqual(2 * BUDGET + 1);
    await expect.poll(() => /flood control: (\d+) log lines suppressed/.exec(harness.logs())?.[1], { timeout: 15_000, interval: 250 }).toBeDefined();
    const suppressed = Number(/flood control: (\d+) log lines suppressed/.exec(harness.logs())?.[1]);
    expect(suppressed).toBeGreaterThanOrEqual(i * LINES_PER_ROUND - 2 * BUDGET);
    harness.sim.consumeAll();
    harness.sim.connect();
    await harness.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
  }, 60_000);
});
