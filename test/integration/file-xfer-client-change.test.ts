import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkPort, FileXferResult, MessageType, type Message } from '../../src/protocol/index.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { wire } from '../support/flood.js';
import { filesOpenIn } from '../support/open-files.js';

const BLOCK = 64 * 1024;

describe('a client that leaves right after its last DATA (real daemon, helper on Xvfb)', () => {
  let d: DesktopDaemon;
  /** What the folder files land in shows (no user-dirs.dirs and no ~/Downloads: the home folder). */
  const landed = (): string[] => (existsSync(d.home) ? readdirSync(d.home).sort() : []);

  beforeEach(async () => {
    d = await startDesktopDaemon();
    await new TransferClient(d.agent).untilServed();
  });

  afterEach((ctx) => stopAfterTest(d, ctx.task.result?.state === 'fail'));

  it('the next client hears only of its own transfer, though it reuses the id; the old file lands only if it was published before the client left', async () => {
    const old = new TransferClient(d.agent);
    const content = Buffer.alloc(3 * BLOCK + 100, 0x4f);
    const { id, status } = await old.begin('old.bin', content.length);
    expect(status.result).toBe(FileXferResult.CanSendData);
    for (let off = 0; off < 3 * BLOCK; off += BLOCK) await old.data(id, content.subarray(off, off + BLOCK));
    // The last DATA and the server's word that the client left in one write; then a new client announces.
    const last: Message = { type: MessageType.FileXferData, id, data: content.subarray(3 * BLOCK) };
    await d.agent.sim.sendRaw(Buffer.concat([wire([last]), wire([{ type: MessageType.ClientDisconnected }], ChunkPort.Server)]));
    const from = d.agent.sim.records.length;
    d.agent.sim.connect();

    // The new client numbers its transfers from 1 again, and waits before sending its data.
    const next = new TransferClient(d.agent);
    const mine = Buffer.from('the new client’s own file');
    const begun = await next.begin('new.txt', mine.length);
    expect(begun).toMatchObject({ id, status: { result: FileXferResult.CanSendData } });
    // Once the helper holds only the new file, whatever it said of the old one was sent; a second
    // START's answer, sent after that, arrives after it.
    await expect.poll(() => filesOpenIn(d.helper() ?? -1, d.home).length, { timeout: 10_000 }).toBe(1);
    const probe = await next.begin('probe.txt', 1);
    expect(probe.status.result).toBe(FileXferResult.CanSendData);
    const statusesOfId = (): FileXferResult[] =>
      d.agent.sim.records.slice(from).flatMap((r) => (r.from === 'agent' && r.message?.type === MessageType.FileXferStatus && r.message.id === id ? [r.message.result] : []));
    expect(statusesOfId()).toEqual([FileXferResult.CanSendData]);

    await next.data(id, mine);
    expect((await next.statusOf(id)).result).toBe(FileXferResult.Success);
    expect(statusesOfId()).toEqual([FileXferResult.CanSendData, FileXferResult.Success]);
    expect(readFileSync(join(d.home, 'new.txt')).equals(mine)).toBe(true);
    // A file appears only complete: the old one, if the helper published it before it heard the client left, is whole.
    const others = landed().filter((name) => name !== 'new.txt');
    expect(others).toEqual(others.length === 0 ? [] : ['old.bin']);
    if (others.length > 0) expect(readFileSync(join(d.home, 'old.bin')).equals(content)).toBe(true);
  }, 60_000);
});
