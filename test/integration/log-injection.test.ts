import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';

/** What a host puts after a newline in its strings: a line of its own at emergency priority, which journald sends to every terminal. */
const FORGED = '<0>vdagent: FORGED BY THE HOST';

describe('host strings in the journal (real daemon and helper, journal line format)', () => {
  let dir: string;
  let h: Harness;
  /** The lines the daemon wrote, its helper's relayed ones included. */
  const lines = (): string[] => h.logs().split('\n').filter(Boolean);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'log-injection-'));
    const actions = makeActionsDir(dir, { 'graphics-device-info': '', 'file-xfer': '' });
    h = await startPtyHarness({ actionsDirs: [actions], session: 'current', env: { JOURNAL_STREAM: '8:4242', HOME: dir } });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h.logs().slice(-6000)}\n`);
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stay inside the line they are logged in: a newline in a device address or a file name starts no line of the host’s', async () => {
    const address = `pci/0000/02.0\n${FORGED}`;
    await h.sim.sendFromServer({ type: MessageType.GraphicsDeviceInfo, devices: [{ channelId: 0, monitorId: 0, deviceDisplayId: 0, deviceAddress: address }] });
    const client = new TransferClient(h);
    await client.untilServed();
    // Key-file escaping: the helper reads `\n` as a newline in the name.
    const { id, status } = await client.begin(`report\\n${FORGED}`, 1);
    expect(status.result).toBe(FileXferResult.CanSendData);
    await client.data(id, Buffer.from('x'));
    expect((await client.statusOf(id)).result).toBe(FileXferResult.Success);

    await expect.poll(() => lines().filter((l) => l.includes('FORGED BY THE HOST')).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    // Every line has the daemon's own prefix, at most the error priority, and none is the host's.
    for (const line of lines()) expect(line).toMatch(/^<[3-7]>(?!vdagent: FORGED)/);
  }, 60_000);
});
