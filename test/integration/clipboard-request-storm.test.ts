import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, CapabilitySet, ChunkPort, ClipboardSelection, ClipboardType, MessageType, type Message } from '../../src/protocol/index.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { flood, wire } from '../support/flood.js';
import { peakRssOf, resetPeakRss, rssOf } from '../support/proc.js';
import { xclipCopy } from '../support/xclip.js';

const MiB = 1 << 20;
/** Ask-and-leave cycles of the storm: about 5 MB on the wire. */
const CYCLES = 50_000;
/** What the helper may grow by over its idle size during the storm (it grew by +84 MB over 60,000 cycles when each cycle queued a read). */
const HELPER_BOUND = 40 * MiB;

describe('a host that asks for the guest’s clipboard and leaves, again and again (real daemon, helper on Xvfb, xclip)', () => {
  let d: DesktopDaemon;

  beforeEach(async () => {
    d = await startDesktopDaemon();
  });

  afterEach((ctx) => stopAfterTest(d, ctx.task.result?.state === 'fail'));

  it('queues a bounded number of reads of the guest’s selection: the helper’s memory stays bounded and the next client is answered', async () => {
    await expect.poll(() => d.helper(), { timeout: 10_000 }).toBeDefined();
    const text = 'g'.repeat(MiB);
    await xclipCopy(d.xEnv, 'clipboard', 'UTF8_STRING', text);
    await d.agent.sim.expect(MessageType.ClipboardGrab, { where: (m) => m.selection === ClipboardSelection.Clipboard, timeoutMs: 10_000 });
    const helper = d.helper() as number;
    const idle = rssOf(helper);
    resetPeakRss(helper);

    // Each cycle: a client with the clipboard announces, asks for the guest's text, and the server says it left.
    const announce: Message = { type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.of(Capability.ClipboardByDemand) };
    const request: Message = { type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text };
    const cycle = Buffer.concat([wire([announce, request]), wire([{ type: MessageType.ClientDisconnected }], ChunkPort.Server)]);
    await flood(d.agent.hostFd as number, Buffer.concat(Array<Buffer>(CYCLES).fill(cycle)));
    expect(peakRssOf(helper) - idle).toBeLessThan(HELPER_BOUND);

    // A real client comes and pastes the guest's text.
    d.agent.sim.consumeAll();
    d.agent.sim.connect();
    await d.agent.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 10_000 });
    await d.agent.sim.send(request);
    const answer = await d.agent.sim.expect(MessageType.Clipboard, { timeoutMs: 60_000 });
    expect(answer).toMatchObject({ dataType: ClipboardType.Utf8Text, data: Buffer.from(text) });
    expect(d.helper()).toBe(helper);
  }, 180_000);
});
