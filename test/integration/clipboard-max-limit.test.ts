import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_READ_LIMIT } from '../../src/actions/clipboard/module.js';
import { ClipboardSelection, ClipboardType, MessageType } from '../../src/protocol/index.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { xclipCopy } from '../support/xclip.js';

const MiB = 1 << 20;

describe('a client that raises MAX_CLIPBOARD to 2 GiB (real daemon, helper on Xvfb, xclip)', () => {
  let d: DesktopDaemon;

  beforeEach(async () => {
    d = await startDesktopDaemon();
  });

  afterEach((ctx) => stopAfterTest(d, ctx.task.result?.state === 'fail'));

  it(`still gets no more than ${DEFAULT_READ_LIMIT / MiB} MiB of the guest’s clipboard: a larger copy is answered empty, and the helper serves on`, async () => {
    await expect.poll(() => d.helper(), { timeout: 10_000 }).toBeDefined();
    const helper = d.helper() as number;
    await xclipCopy(d.xEnv, 'clipboard', 'UTF8_STRING', Buffer.alloc(DEFAULT_READ_LIMIT + 8 * MiB, 0x61));
    await d.agent.sim.expect(MessageType.ClipboardGrab, { where: (m) => m.selection === ClipboardSelection.Clipboard, timeoutMs: 10_000 });
    await d.agent.sim.send({ type: MessageType.MaxClipboard, max: 0x7fffffff });
    await d.agent.sim.send({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text });
    const answer = await d.agent.sim.expect(MessageType.Clipboard, { timeoutMs: 60_000 });
    expect(answer).toMatchObject({ selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text, data: Buffer.alloc(0) });
    expect(d.helper()).toBe(helper);
  }, 120_000);
});
