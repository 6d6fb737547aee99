import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GioError } from '../../src/actions/file-xfer/status.js';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import type { FakeLogind } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { startDaemonOnSeat, startSeat, type Seat } from '../support/seat.js';
import type { TestUser } from '../support/test-user.js';
import { writeXdgOpen, xdgOpenRuns } from '../support/xdg-open-stand-in.js';

const USER = 'vdagent-xferset';

describe.runIf(process.getuid?.() === 0)('the file-xfer entry: dir and open-when-done, with the real daemon and helper', () => {
  let root: string;
  let seat: Seat;
  let logind: FakeLogind;
  let user: TestUser;
  /** Holds the stand-in xdg-open, first on the daemon's PATH (which the helper keeps). */
  let bin: string;
  /** Where the stand-in records its runs: a file the test user may write. */
  let record: string;
  let agent: Harness | undefined;
  let sessions = 0;
  let entries = 0;

  /** A new actions.d holding only a file-xfer entry with `content`. */
  function fileXferEntry(content: string): string {
    const parent = join(root, `entry-${++entries}`);
    mkdirSync(parent, { mode: 0o755 });
    return makeActionsDir(parent, { 'file-xfer': content });
  }

  /**
   * The daemon with a file-xfer entry holding `content`, serving a fresh x11 session of the test
   * user; the helper's first answer to a START is `firstAnswer`.
   */
  async function serve(content: string, firstAnswer = FileXferResult.CanSendData): Promise<TransferClient> {
    const actionsDir = fileXferEntry(content);
    agent = await startDaemonOnSeat(seat, { actionsDirs: [actionsDir], env: { PATH: `${bin}:${process.env.PATH}` } });
    const client = new TransferClient(agent);
    const id = `s${++sessions}`;
    logind.add({ id, user: USER, uid: user.uid, gid: user.gid, display: ':7' });
    logind.activate(id);
    expect((await client.untilServed()).result).toBe(firstAnswer);
    return client;
  }

  /** Makes `path` (and its parents under home) a folder of the test user's. */
  function userFolder(path: string): string {
    mkdirSync(path, { recursive: true });
    chownSync(path, user.uid, user.gid);
    return path;
  }

  /** Writes the test user's ~/.config/user-dirs.dirs. */
  function userDirs(text: string): void {
    const config = userFolder(join(user.home, '.config'));
    writeFileSync(join(config, 'user-dirs.dirs'), text);
    chownSync(join(config, 'user-dirs.dirs'), user.uid, user.gid);
  }

  /** Sends two files as spice-gtk sends a drop of two: both STARTs, then the data of each; both must succeed. */
  async function sendBatch(client: TransferClient, names: [string, string]): Promise<void> {
    const first = await client.begin(names[0], 5);
    const second = await client.begin(names[1], 5);
    expect([first.status.result, second.status.result]).toEqual([FileXferResult.CanSendData, FileXferResult.CanSendData]);
    await client.data(first.id, Buffer.from('first'));
    expect((await client.statusOf(first.id)).result).toBe(FileXferResult.Success);
    await client.data(second.id, Buffer.from('again'));
    expect((await client.statusOf(second.id)).result).toBe(FileXferResult.Success);
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'xfer-settings-'));
    chmodSync(root, 0o755);
    ({ logind, user } = seat = await startSeat(root, USER));
    bin = join(root, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    const records = join(root, 'records');
    mkdirSync(records, { mode: 0o755 });
    chownSync(records, user.uid, user.gid);
    record = join(records, 'xdg-open-runs');
    writeXdgOpen(bin, record);
  });

  afterAll(async () => {
    await seat.stop();
    rmSync(root, { recursive: true, force: true });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent?.logs()}\n`);
    await agent?.stop();
    agent = undefined;
    logind.clear();
    rmSync(record, { force: true });
    for (const name of readdirSync(user.home)) rmSync(join(user.home, name), { recursive: true, force: true });
  });

  it('dir = xdg-desktop: files land in the desktop folder user-dirs.dirs names, which the helper creates as the user', async () => {
    userDirs('# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR="$HOME/Schreib tisch"\nXDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
    const client = await serve('dir = xdg-desktop\n');
    expect((await client.sendFile('note.txt', Buffer.from('on the desktop'))).result).toBe(FileXferResult.Success);
    const desktop = join(user.home, 'Schreib tisch');
    expect(readFileSync(join(desktop, 'note.txt'), 'utf8')).toBe('on the desktop');
    for (const path of [desktop, join(desktop, 'note.txt')]) expect([statSync(path).uid, statSync(path).gid]).toEqual([user.uid, user.gid]);
    expect(existsSync(join(user.home, 'Incoming'))).toBe(false);
  });

  it('by default, with no download folder in user-dirs.dirs, files land in an existing ~/Downloads', async () => {
    userFolder(join(user.home, 'Downloads'));
    const client = await serve('');
    expect((await client.sendFile('report.pdf', Buffer.from('%PDF'))).result).toBe(FileXferResult.Success);
    expect(readdirSync(join(user.home, 'Downloads'))).toEqual(['report.pdf']);
  });

  it('dir = an absolute path: created with its parents by the helper as the user; a folder the user may not write refuses with PERMISSION_DENIED', async () => {
    const shared = userFolder(join(root, 'shared'));
    const drop = join(shared, 'guest', 'drop');
    const client = await serve(`dir = ${drop}\n`);
    expect((await client.sendFile('a.bin', Buffer.from([1, 2, 3]))).result).toBe(FileXferResult.Success);
    expect(readFileSync(join(drop, 'a.bin'))).toEqual(Buffer.from([1, 2, 3]));
    for (const path of [join(shared, 'guest'), drop, join(drop, 'a.bin')]) expect(statSync(path).uid).toBe(user.uid);
    await agent?.stop();

    const rootOnly = join(root, 'root-only');
    mkdirSync(rootOnly, { mode: 0o755 });
    const refused = await serve(`dir = ${rootOnly}\n`, FileXferResult.Error);
    const { status } = await refused.begin('b.bin', 3);
    expect(status.result).toBe(FileXferResult.Error);
    // As the client reads it: GLib I/O error (0), PERMISSION_DENIED.
    expect(status.detail).toEqual(Buffer.from([0, GioError.PermissionDenied, 0, 0, 0]));
    expect(readdirSync(rootOnly)).toEqual([]);
  });

  it('open-when-done = yes: xdg-open runs once after a batch of two files, as the user, with the folder as its one argument', async () => {
    const folder = userFolder(join(user.home, 'Incoming'));
    userDirs('XDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
    const client = await serve('open-when-done = yes\n');
    await sendBatch(client, ['one.txt', 'two.txt']);
    await expect.poll(() => xdgOpenRuns(record), { timeout: 10_000 }).toHaveLength(1);
    // A batch of one more file: its run comes after anything the first batch could have started.
    expect((await client.sendFile('three.txt', Buffer.from('3'))).result).toBe(FileXferResult.Success);
    await expect.poll(() => xdgOpenRuns(record), { timeout: 10_000 }).toHaveLength(2);
    expect(xdgOpenRuns(record)).toEqual([
      { uid: user.uid, args: [folder] },
      { uid: user.uid, args: [folder] },
    ]);
    expect(readdirSync(folder).sort()).toEqual(['one.txt', 'three.txt', 'two.txt']);
  });

  it('open-when-done = yes without a graphical session (--session current, no display): the files land and xdg-open is not run', async () => {
    const home = join(root, 'console-home');
    mkdirSync(home);
    const actionsDir = fileXferEntry('open-when-done = yes\n');
    agent = await startPtyHarness({
      actionsDirs: [actionsDir],
      session: 'current',
      env: { HOME: home, XDG_CONFIG_HOME: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined, PATH: `${bin}:${process.env.PATH}` },
    });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    const client = new TransferClient(agent);
    await client.untilServed();
    await sendBatch(client, ['one.txt', 'two.txt']);
    // The helper decided when the second SUCCESS was sent, and says why it opened nothing.
    await expect.poll(() => agent?.logs(), { timeout: 10_000 }).toContain('the session has no display');
    expect(readdirSync(home).sort()).toEqual(['one.txt', 'two.txt']);
    expect(xdgOpenRuns(record)).toEqual([]);
    rmSync(home, { recursive: true, force: true });
  });
});
