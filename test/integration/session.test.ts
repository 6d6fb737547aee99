import { makeActionsDir } from '../support/actions-dir.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Capability, FileXferResult, MessageType } from '../../src/protocol/index.js';
import { SPICE_GTK_CAPS } from '../../src/sim/simulator.js';
import type { BusDaemon } from '../support/dbus-daemon.js';
import { forgeSessionSignal, type FakeLogind, type FakeSession } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { helperPid } from '../support/proc.js';
import { startSeat, type Seat } from '../support/seat.js';
import type { TestUser } from '../support/test-user.js';

const USER = 'vdagent-sess';
const EXTRA_GROUP = 'vdagent-sess-x';

/**
 * The real daemon on a real pty with the client simulator, once it announced itself; started, as
 * by a careless parent, with any `inherited` file open on descriptor 7 (not close-on-exec).
 */
async function startAgent(actionsDir: string, session: string, env: NodeJS.ProcessEnv, inherited?: string): Promise<Harness> {
  const prefix = inherited === undefined ? undefined : ['bash', '-c', 'exec 7<"$1"; shift; exec "$@"', 'bash', inherited];
  const agent = await startPtyHarness({ actionsDirs: [actionsDir], session, env, prefix });
  await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
  return agent;
}

describe.runIf(process.getuid?.() === 0)('desktop sessions followed through logind, as the client sees them', () => {
  let root: string;
  let actionsDir: string;
  let secret: string;
  let bus: BusDaemon;
  let logind: FakeLogind;
  let user: TestUser;
  let seat: Seat;
  let agent: Harness;
  let client: TransferClient;
  const session = (id: string, more: Partial<FakeSession> = {}): FakeSession => ({ id, user: USER, uid: user.uid, gid: user.gid, display: ':7', ...more });

  /** The next announcement the agent makes by itself (request=0). */
  const reannounced = () => agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });

  const downloaded = (): string[] => (existsSync(user.downloads) ? readdirSync(user.downloads).sort() : []);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'sessions-'));
    chmodSync(root, 0o755);
    actionsDir = makeActionsDir(root, { 'file-xfer': '' });
    secret = join(root, 'root-only');
    writeFileSync(secret, 'root only', { mode: 0o600 });
    ({ bus, logind, user } = seat = await startSeat(root, USER, { extraGroup: EXTRA_GROUP, incoming: true }));
  });

  afterAll(async () => {
    await seat.stop();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    agent = await startAgent(actionsDir, 'auto', { DBUS_SYSTEM_BUS_ADDRESS: bus.address }, secret);
    client = new TransferClient(agent);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    await agent.stop();
    logind.clear();
    rmSync(user.downloads, { recursive: true, force: true });
  });

  it('without a graphical session answers START with VDAGENT_NOT_CONNECTED and announces no FILE_XFER_DISABLED', async () => {
    expect(agent.sim.agentCaps?.has(Capability.FileXferDisabled)).toBe(false);
    expect((await client.begin('a.txt', 3)).status.result).toBe(FileXferResult.VdagentNotConnected);
    logind.add(session('1', { type: 'tty' }));
    logind.activate('1');
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.begin('a.txt', 3)).status.result).toBe(FileXferResult.VdagentNotConnected);
    // logind's SetType: the tty session becomes graphical, and a helper serves it.
    logind.change('1', { Type: 'wayland' });
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
  });

  it('runs the helper as the session user, with its groups and the session environment, and a file lands byte-exact in the download folder', async () => {
    logind.add(session('2'));
    logind.activate('2');
    await client.untilServed();
    const content = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
    expect((await client.sendFile('report.bin', content)).result).toBe(FileXferResult.Success);
    const path = join(user.downloads, 'report.bin');
    expect(readFileSync(path).equals(content)).toBe(true);
    expect([statSync(path).uid, statSync(path).gid]).toEqual([user.uid, user.gid]);

    const pid = helperPid(agent.pid) as number;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1).map(Number)).toEqual([user.uid, user.uid, user.uid]);
    expect(/^Groups:\s*([\d ]*)$/m.exec(status)?.[1]?.trim().split(' ').map(Number).sort()).toEqual([user.gid, user.extraGid as number].sort());
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['DISPLAY=:7', `XDG_RUNTIME_DIR=/run/user/${user.uid}`]));
    // What the daemon inherited from its parent stays there: the user's process gets no root-only file.
    expect(readlinkSync(`/proc/${agent.pid}/fd/7`)).toBe(secret);
    expect(readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`))).not.toContain(secret);
  });

  it('announces FILE_XFER_DISABLED for a greeter and refuses transfers with DISABLED, until a user session takes the seat', async () => {
    logind.add(session('3', { class: 'greeter' }));
    logind.activate('3');
    expect((await reannounced()).caps.has(Capability.FileXferDisabled)).toBe(true);
    expect((await client.begin('a.txt', 1)).status.result).toBe(FileXferResult.Disabled);

    logind.add(session('4'));
    logind.activate('4');
    expect((await reannounced()).caps.has(Capability.FileXferDisabled)).toBe(false);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
  });

  it('refuses transfers while the session is locked (SESSION_LOCKED, ERROR for a client without bit 14), and accepts them once unlocked', async () => {
    logind.add(session('5'));
    logind.activate('5');
    await client.untilServed();
    logind.change('5', { LockedHint: true });
    await expect.poll(async () => (await client.begin('a.txt', 1)).status.result, { timeout: 5000 }).toBe(FileXferResult.SessionLocked);
    await agent.sim.send({ type: MessageType.AnnounceCapabilities, request: false, caps: SPICE_GTK_CAPS.without(Capability.FileXferDetailedErrors) });
    expect((await client.begin('a.txt', 1)).status.result).toBe(FileXferResult.Error);

    logind.change('5', { LockedHint: false });
    await expect.poll(async () => (await client.sendFile('after-unlock.txt', Buffer.from('ok'))).result, { timeout: 5000 }).toBe(FileXferResult.Success);
    expect(readFileSync(join(user.downloads, 'after-unlock.txt'), 'utf8')).toBe('ok');
  });

  it('counts the session locked from logind’s Lock (loginctl lock-session, no screen locker) until logind’s Unlock, or until LockedHint falls', async () => {
    logind.add(session('8'));
    logind.activate('8');
    await client.untilServed();
    logind.signalLock('8', true);
    await expect.poll(async () => (await client.begin('a.txt', 1)).status.result, { timeout: 5000 }).toBe(FileXferResult.SessionLocked);
    // Another peer's Unlock, sent straight to the daemon, does not count.
    await forgeSessionSignal(bus.address, logind.pathOf('8'), 'Unlock');
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.begin('a.txt', 1)).status.result).toBe(FileXferResult.SessionLocked);
    logind.signalLock('8', false);
    await expect.poll(async () => (await client.sendFile('after-unlock.txt', Buffer.from('ok'))).result, { timeout: 5000 }).toBe(FileXferResult.Success);

    // A locker that set LockedHint and cleared it without Unlock: unlocked, though Lock came first.
    logind.signalLock('8', true);
    logind.change('8', { LockedHint: true });
    await expect.poll(async () => (await client.begin('b.txt', 1)).status.result, { timeout: 5000 }).toBe(FileXferResult.SessionLocked);
    logind.change('8', { LockedHint: false });
    await expect.poll(async () => (await client.sendFile('after-hint.txt', Buffer.from('ok'))).result, { timeout: 5000 }).toBe(FileXferResult.Success);
    expect(downloaded()).toEqual(['after-hint.txt', 'after-unlock.txt']);
  });

  it('cancels the open transfer when another session takes the seat, deletes its partial file, and serves the new session', async () => {
    logind.add(session('6'));
    logind.activate('6');
    await client.untilServed();
    const first = await client.begin('partial.bin', 10);
    await client.data(first.id, Buffer.from('12345'));
    const helper = helperPid(agent.pid);

    logind.add(session('7'));
    logind.activate('7');
    expect((await client.statusOf(first.id)).result).toBe(FileXferResult.Cancelled);
    await expect.poll(downloaded, { timeout: 5000 }).toEqual([]);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    expect(helperPid(agent.pid)).not.toBe(helper);
    expect((await client.sendFile('second.txt', Buffer.from('second'))).result).toBe(FileXferResult.Success);
  });

  it('stops the helper when the session ends: the open transfer is cancelled and START gets VDAGENT_NOT_CONNECTED again', async () => {
    logind.add(session('8'));
    logind.activate('8');
    await client.untilServed();
    const open = await client.begin('open.bin', 10);
    logind.remove('8');
    expect((await client.statusOf(open.id)).result).toBe(FileXferResult.Cancelled);
    expect((await client.begin('a.txt', 1)).status.result).toBe(FileXferResult.VdagentNotConnected);
    await expect.poll(() => helperPid(agent.pid), { timeout: 5000 }).toBeUndefined();
  });

  it('restarts a helper that crashed: its open transfer is cancelled, the channel to it closed, and the next transfer succeeds', async () => {
    logind.add(session('9'));
    logind.activate('9');
    await client.untilServed();
    const open = await client.begin('open.bin', 10);
    const crashed = helperPid(agent.pid) as number;
    const descriptors = readdirSync(`/proc/${agent.pid}/fd`).length;
    process.kill(crashed, 'SIGKILL');
    expect((await client.statusOf(open.id)).result).toBe(FileXferResult.Cancelled);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    expect(helperPid(agent.pid)).not.toBe(crashed);
    expect((await client.sendFile('after-crash.txt', Buffer.from('again'))).result).toBe(FileXferResult.Success);
    // The daemon's end of the socketpair to the crashed helper is closed: one channel, as before.
    await expect.poll(() => readdirSync(`/proc/${agent.pid}/fd`).length, { timeout: 5000 }).toBe(descriptors);
  });

  it('drops open transfers and their files, without a word, when the client disconnects', async () => {
    logind.add(session('10'));
    logind.activate('10');
    await client.untilServed();
    const open = await client.begin('dropped.bin', 10);
    await client.data(open.id, Buffer.from('12345'));
    // The file has no name until it is complete (see file-xfer-lifecycle.test.ts).
    expect(downloaded()).toEqual([]);
    await agent.sim.disconnect();
    await expect.poll(downloaded, { timeout: 5000 }).toEqual([]);
    expect(agent.sim.records.some((r) => r.message?.type === MessageType.FileXferStatus && r.message.id === open.id && r.message.result !== FileXferResult.CanSendData)).toBe(false);
  });
});

describe('without logind', () => {
  let root: string;
  let actionsDir: string;
  let agent: Harness;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'no-logind-'));
    chmodSync(root, 0o755);
    actionsDir = makeActionsDir(root, { 'file-xfer': '' });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    await agent.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('--session current runs the helper as the invoking user with the invoking environment', async () => {
    const home = join(root, 'home');
    mkdirSync(home);
    agent = await startAgent(actionsDir, 'current', { HOME: home, XDG_CONFIG_HOME: undefined });
    const client = new TransferClient(agent);
    await client.untilServed();
    expect((await client.sendFile('here.txt', Buffer.from('current'))).result).toBe(FileXferResult.Success);
    // No user-dirs.dirs: no download or desktop folder is named, so the file lands in the home folder.
    expect(readFileSync(join(home, 'here.txt'), 'utf8')).toBe('current');
    const status = readFileSync(`/proc/${helperPid(agent.pid)}/status`, 'utf8');
    expect(Number(/^Uid:\s+(\d+)/m.exec(status)?.[1])).toBe(process.getuid?.());
  });

  it('--session auto without a system bus keeps answering VDAGENT_NOT_CONNECTED', async () => {
    agent = await startAgent(actionsDir, 'auto', { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(root, 'no-bus')}` });
    const client = new TransferClient(agent);
    await expect.poll(() => agent.logs(), { timeout: 5000 }).toContain('no system bus');
    expect((await client.begin('a.txt', 1)).status.result).toBe(FileXferResult.VdagentNotConnected);
  });

  it('--session none keeps session modules off: FILE_XFER_START is dropped unanswered', async () => {
    agent = await startAgent(actionsDir, 'none', {});
    await agent.sim.send({ type: MessageType.FileXferStart, id: 1, keyfile: '[vdagent-file-xfer]\nname=a\nsize=1\n' });
    await expect.poll(() => agent.logs(), { timeout: 5000 }).toContain('FILE_XFER_START dropped: no enabled module handles it');
    expect(agent.sim.records.some((r) => r.message?.type === MessageType.FileXferStatus)).toBe(false);
  });
});
