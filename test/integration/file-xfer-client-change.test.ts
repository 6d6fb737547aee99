import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkPort, FileXferResult, MessageType, type Message } from '../../src/protocol/index.js';
import { DESKTOP_ACTIONS, startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { wire } from '../support/flood.js';
import { filesOpenIn } from '../support/open-files.js';
import { inFsync } from '../support/proc.js';
import { canLoopMount, withHeldDisk } from '../support/scratch-fs.js';

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

describe.runIf(canLoopMount)('a client that leaves while its complete file is being published (real daemon, helper on Xvfb, a disk held)', () => {
  it('the file never lands and nobody hears of it; the next client, reusing the id, gets its own file', async () => {
    await withHeldDisk(async (folder, disk) => {
      const d = await startDesktopDaemon({ actions: { ...DESKTOP_ACTIONS, 'file-xfer': `dir = ${folder}\n` } });
      let failed = true;
      try {
        const landed = (): string[] => readdirSync(folder).filter((name) => name !== 'lost+found').sort();
        const helper = d.helper() ?? -1;
        const old = new TransferClient(d.agent);
        await old.untilServed();
        const content = Buffer.alloc(3 * BLOCK + 100, 0x4f);
        const { id, status } = await old.begin('old.bin', content.length);
        expect(status.result).toBe(FileXferResult.CanSendData);
        for (let off = 0; off < 3 * BLOCK; off += BLOCK) await old.data(id, content.subarray(off, off + BLOCK));
        await expect.poll(() => filesOpenIn(helper, folder).some((fd) => readFileSync(fd).subarray(0, 3 * BLOCK).equals(content.subarray(0, 3 * BLOCK))), { timeout: 10_000 }).toBe(true);

        // The disk stops taking writes: the last byte reaches the file, and publishing waits in fsync.
        disk.hold();
        await old.data(id, content.subarray(3 * BLOCK));
        await expect.poll(() => inFsync(helper), { timeout: 10_000 }).toBe(true);
        const from = d.agent.sim.records.length;
        await d.agent.sim.disconnect();
        d.agent.sim.connect();
        // The helper heard the client left while the file was still unnamed; then the disk goes on.
        await expect.poll(() => d.agent.logs().includes(`transfer ${id} dropped`), { timeout: 10_000 }).toBe(true);
        expect(inFsync(helper)).toBe(true);
        disk.release();
        await expect.poll(() => filesOpenIn(helper, folder), { timeout: 10_000 }).toEqual([]);

        // The new client numbers its transfers from 1 again; its answer comes after anything said of the old one.
        const next = new TransferClient(d.agent);
        const mine = Buffer.from('the new client’s own file');
        const begun = await next.begin('new.txt', mine.length);
        expect(begun).toMatchObject({ id, status: { result: FileXferResult.CanSendData } });
        const statusesOfId = (): FileXferResult[] =>
          d.agent.sim.records.slice(from).flatMap((r) => (r.from === 'agent' && r.message?.type === MessageType.FileXferStatus && r.message.id === id ? [r.message.result] : []));
        expect(statusesOfId()).toEqual([FileXferResult.CanSendData]);
        expect(landed()).toEqual([]);

        await next.data(id, mine);
        expect((await next.statusOf(id)).result).toBe(FileXferResult.Success);
        expect(statusesOfId()).toEqual([FileXferResult.CanSendData, FileXferResult.Success]);
        expect(landed()).toEqual(['new.txt']);
        expect(readFileSync(join(folder, 'new.txt')).equals(mine)).toBe(true);
        failed = false;
      } finally {
        disk.release();
        await stopAfterTest(d, failed);
      }
    });
  }, 90_000);
});
