import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GioError, MAX_ACTIVE_TRANSFERS } from '../../src/actions/file-xfer/status.js';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import type { BusDaemon } from '../support/dbus-daemon.js';
import type { FakeLogind, FakeSession } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { filesOpenIn } from '../support/open-files.js';
import { helperPid } from '../support/proc.js';
import { startSeat, type Seat } from '../support/seat.js';
import type { TestUser } from '../support/test-user.js';

const USER = 'vdagent-xfer';
const MIB = 1024 * 1024;
const FIRST_4K = Buffer.alloc(4096, 0x5a);
/** The detail of ERROR as the client reads it: GLib I/O error (0), TOO_MANY_OPEN_FILES. */
const TOO_MANY = Buffer.from([0, GioError.TooManyOpenFiles, 0, 0, 0]);

describe.runIf(process.getuid?.() === 0)('received files exist only when complete; transfers count until the helper closed them', () => {
  let root: string;
  let actionsDir: string;
  let bus: BusDaemon;
  let logind: FakeLogind;
  let user: TestUser;
  let seat: Seat;
  let agent: Harness;
  let client: TransferClient;
  let sessions = 0;

  const session = (): FakeSession => ({ id: `x${++sessions}`, user: USER, uid: user.uid, gid: user.gid, display: ':7' });
  /** What the download folder shows, hidden names included. */
  const downloaded = (): string[] => (existsSync(user.downloads) ? readdirSync(user.downloads).sort() : []);
  /** The files the current helper holds open in the download folder. */
  const held = (): string[] => filesOpenIn(helperPid(agent.pid) ?? -1, user.downloads);

  /** A 1 MiB `report.pdf` with its first 4 KiB sent; resolves once the helper holds them, and nothing shows. */
  async function halfSent(): Promise<number> {
    const { id, status } = await client.begin('report.pdf', MIB);
    expect(status.result).toBe(FileXferResult.CanSendData);
    await client.data(id, FIRST_4K);
    await expect.poll(() => held().some((fd) => readFileSync(fd).subarray(0, 4096).equals(FIRST_4K)), { timeout: 5000 }).toBe(true);
    expect(downloaded()).toEqual([]);
    return id;
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'xfer-life-'));
    chmodSync(root, 0o755);
    actionsDir = makeActionsDir(root, { 'file-xfer': '' });
    ({ bus, logind, user } = seat = await startSeat(root, USER, { incoming: true }));
  });

  afterAll(async () => {
    await seat.stop();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    agent = await startPtyHarness({ actionsDirs: [actionsDir], session: 'auto', env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    client = new TransferClient(agent);
    const s = session();
    logind.add(s);
    logind.activate(s.id);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    await expect.poll(held, { timeout: 5000 }).toEqual([]);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    await agent.stop();
    logind.clear();
    rmSync(user.downloads, { recursive: true, force: true });
  });

  it('a complete file appears once, whole, under its name with mode 0644 and the user as owner; a taken name gives "name (1).ext"', async () => {
    const content = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 13) & 0xff));
    const { id } = await client.begin('photo.png', content.length);
    for (let off = 0; off < content.length; off += 65536) {
      expect(downloaded()).toEqual([]);
      await client.data(id, content.subarray(off, off + 65536));
    }
    expect((await client.statusOf(id)).result).toBe(FileXferResult.Success);
    expect(downloaded()).toEqual(['photo.png']);
    const file = join(user.downloads, 'photo.png');
    expect(readFileSync(file).equals(content)).toBe(true);
    expect(statSync(file)).toMatchObject({ uid: user.uid, gid: user.gid, mode: 0o100000 | (0o644 & ~process.umask()) });

    expect((await client.sendFile('photo.png', Buffer.from('second'))).result).toBe(FileXferResult.Success);
    expect(downloaded()).toEqual(['photo (1).png', 'photo.png']);
    expect(readFileSync(join(user.downloads, 'photo (1).png'), 'utf8')).toBe('second');
  });

  it('a helper SIGKILLed mid-transfer leaves nothing: not after its restart, not after the daemon stops', async () => {
    const id = await halfSent();
    const killed = helperPid(agent.pid) as number;
    process.kill(killed, 'SIGKILL');
    expect((await client.statusOf(id)).result).toBe(FileXferResult.Cancelled);
    expect(downloaded()).toEqual([]);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    expect(helperPid(agent.pid)).not.toBe(killed);
    expect(downloaded()).toEqual([]);
    await agent.stop();
    expect(downloaded()).toEqual([]);
  });

  it('the client cancelling leaves nothing, and the helper closes the file', async () => {
    const id = await halfSent();
    await client.cancel(id);
    await expect.poll(held, { timeout: 5000 }).toEqual([]);
    expect(downloaded()).toEqual([]);
  });

  it('CLIENT_DISCONNECTED leaves nothing, and nothing is said of the transfer', async () => {
    const id = await halfSent();
    await agent.sim.disconnect();
    await expect.poll(held, { timeout: 5000 }).toEqual([]);
    expect(downloaded()).toEqual([]);
    expect(agent.sim.records.some((r) => r.message?.type === MessageType.FileXferStatus && r.message.id === id && r.message.result !== FileXferResult.CanSendData)).toBe(false);
  });

  it('another session taking the seat leaves nothing', async () => {
    const id = await halfSent();
    const before = helperPid(agent.pid);
    const next = session();
    logind.add(next);
    logind.activate(next.id);
    expect((await client.statusOf(id)).result).toBe(FileXferResult.Cancelled);
    expect(downloaded()).toEqual([]);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    expect(helperPid(agent.pid)).not.toBe(before);
    expect(downloaded()).toEqual([]);
  });

  it('the daemon stopping mid-transfer leaves nothing', async () => {
    await halfSent();
    await agent.stop();
    expect(downloaded()).toEqual([]);
  });

  it(`a START/CANCELLED storm never has more than ${MAX_ACTIVE_TRANSFERS} transfers open in the helper, and nothing shows in the folder`, async () => {
    const helper = helperPid(agent.pid) as number;
    let most = 0;
    const shown = new Set<string>();
    const sampler = setInterval(() => {
      most = Math.max(most, filesOpenIn(helper, user.downloads).length);
      for (const name of downloaded()) shown.add(name);
    }, 5);
    try {
      // 200 at once: 128 are accepted, the rest refused as before with TOO_MANY_OPEN_FILES.
      const ids: number[] = [];
      for (let i = 0; i < 200; i++) ids.push(await client.start(`f${i}`, MIB));
      let answers = await Promise.all(ids.map((id) => client.statusOf(id)));
      let open = answers.filter((a) => a.result === FileXferResult.CanSendData).map((a) => a.id);
      expect(open).toHaveLength(MAX_ACTIVE_TRANSFERS);
      expect(answers.filter((a) => a.result !== FileXferResult.CanSendData).map((a) => a.detail)).toEqual(Array(200 - MAX_ACTIVE_TRANSFERS).fill(TOO_MANY));

      // Each round the client cancels every open transfer and at once starts as many new ones.
      let accepted = 0;
      for (let round = 0; round < 8; round++) {
        const next: number[] = [];
        for (const id of open) {
          await client.cancel(id);
          next.push(await client.start(`s${round}-${id}`, MIB));
        }
        answers = await Promise.all(next.map((id) => client.statusOf(id)));
        for (const a of answers) if (a.result !== FileXferResult.CanSendData) expect(a.detail).toEqual(TOO_MANY);
        open = answers.filter((a) => a.result === FileXferResult.CanSendData).map((a) => a.id);
        accepted += open.length;
        if (open.length === 0) open = next.slice(0, 1); // cancelling a refused id is harmless: the storm goes on
      }
      for (const id of open) await client.cancel(id);
      await expect.poll(held, { timeout: 5000 }).toEqual([]);
      expect(accepted).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBeLessThanOrEqual(MAX_ACTIVE_TRANSFERS);
    expect(most).toBeGreaterThan(0);
    expect([...shown]).toEqual([]);
    expect(downloaded()).toEqual([]);
    expect(helperPid(agent.pid)).toBe(helper);
  });
});
