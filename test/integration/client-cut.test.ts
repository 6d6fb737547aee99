import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Capability, FileXferResult, MessageType, toChunks } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import type { BusDaemon } from '../support/dbus-daemon.js';
import type { FakeLogind } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { filesOpenIn } from '../support/open-files.js';
import { helperPid } from '../support/proc.js';
import { startSeat, type Seat } from '../support/seat.js';
import type { TestUser } from '../support/test-user.js';

const USER = 'vdagent-cut';
const MIB = 1024 * 1024;
const FIRST_64K = Buffer.alloc(65536, 0x5a);

/**
 * Semi-seamless migration as the agent sees it: the client reconnects to the destination, no
 * CLIENT_DISCONNECTED comes, and the new client's first message lands where the rest of a
 * half-received FILE_XFER_DATA was due (the source stopped after ~46 KB of it): its announce, or
 * with spice-gtk 0.42 the ERROR status of the transfer the switch-over failed, then its announce.
 */
describe.runIf(process.getuid?.() === 0)('a new client cutting into a half-received message', () => {
  let root: string;
  let bus: BusDaemon;
  let logind: FakeLogind;
  let user: TestUser;
  let seat: Seat;
  let agent: Harness;
  let client: TransferClient;

  const downloaded = (): string[] => (existsSync(user.downloads) ? readdirSync(user.downloads).sort() : []);
  const held = (): string[] => filesOpenIn(helperPid(agent.pid) ?? -1, user.downloads);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'client-cut-'));
    chmodSync(root, 0o755);
    const actionsDir = makeActionsDir(root, { 'file-xfer': '' });
    ({ bus, logind, user } = seat = await startSeat(root, USER, { incoming: true }));
    agent = await startPtyHarness({ actionsDirs: [actionsDir], session: 'auto', env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    client = new TransferClient(agent);
    logind.add({ id: 'c1', user: USER, uid: user.uid, gid: user.gid, display: ':7' });
    logind.activate('c1');
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
  });

  afterAll(async () => {
    await agent.stop();
    await seat.stop();
    rmSync(root, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
  });

  it('drops the half message, removes the partial file, answers the new client, and a new transfer works', async () => {
    const { id, status } = await client.begin('report.pdf', MIB);
    expect(status.result).toBe(FileXferResult.CanSendData);
    await client.data(id, FIRST_64K);
    await expect.poll(() => held().some((fd) => readFileSync(fd).subarray(0, 65536).equals(FIRST_64K)), { timeout: 5000 }).toBe(true);

    // 23 of the 33 chunks of the next 64 KiB DATA (47 104 message bytes), then the new client.
    const next = toChunks({ type: MessageType.FileXferData, id, data: Buffer.alloc(65536, 0x33) }, agent.sim.context);
    await agent.sim.sendRaw(Buffer.concat(next.slice(0, 23)));
    agent.sim.consumeAll();
    agent.sim.connect();

    const answer = await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    expect(answer.caps.has(Capability.FileXferDisabled)).toBe(false);
    await expect.poll(held, { timeout: 5000 }).toEqual([]);
    expect(downloaded().filter((n) => n.startsWith('report'))).toEqual([]);
    expect(agent.logs()).toContain('MessageCut');
    // Nothing about the old transfer reaches the new client.
    expect(agent.sim.records.some((r) => r.from === 'agent' && r.message?.type === MessageType.FileXferStatus && r.message.id === id && r.message.result !== FileXferResult.CanSendData)).toBe(false);

    const content = Buffer.from('after the switch-over\n');
    expect((await client.sendFile('after.txt', content)).result).toBe(FileXferResult.Success);
    await expect.poll(downloaded, { timeout: 5000 }).toContain('after.txt');
    expect(readFileSync(join(user.downloads, 'after.txt'))).toEqual(content);
  });

  it('takes spice-gtk 0.42’s order: the ERROR status of the transfer it lost cuts in, then its announce; its next transfer completes', async () => {
    const { id, status } = await client.begin('lost.bin', 12 * MIB);
    expect(status.result).toBe(FileXferResult.CanSendData);
    await client.data(id, FIRST_64K);

    // spice-gtk fails the transfer when its agent goes, queues FILE_XFER_STATUS ERROR for it, and
    // sends that to the destination before its announce (channel-main.c): the status is the cut.
    const next = toChunks({ type: MessageType.FileXferData, id, data: Buffer.alloc(65536, 0x33) }, agent.sim.context);
    const lost = toChunks({ type: MessageType.FileXferStatus, id, result: FileXferResult.Error }, agent.sim.context);
    agent.sim.consumeAll();
    await agent.sim.sendRaw(Buffer.concat([...next.slice(0, 23), ...lost]));
    agent.sim.connect();

    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    await expect.poll(held, { timeout: 5000 }).toEqual([]);
    const content = Buffer.from('the next transfer\n');
    expect((await client.sendFile('next.txt', content)).result).toBe(FileXferResult.Success);
    expect(downloaded().filter((n) => n.startsWith('lost') || n.startsWith('next'))).toEqual(['next.txt']);
    expect(readFileSync(join(user.downloads, 'next.txt'))).toEqual(content);
    expect(agent.sim.records.some((r) => r.from === 'agent' && r.message?.type === MessageType.FileXferStatus && r.message.id === id && r.message.result !== FileXferResult.CanSendData)).toBe(false);
  });
});
