import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileXferResult } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import type { FakeSession } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import type { Harness } from '../support/harness.js';
import { alive, helperPid, helperPids, unreadSocketBytes } from '../support/proc.js';
import { startDaemonOnSeat, startSeat, type Seat } from '../support/seat.js';

const USER = 'vdagent-churn';

describe.runIf(process.getuid?.() === 0)('a user who makes their session flip between graphical and not, and stops each helper', () => {
  let root: string;
  let seat: Seat;
  let agent: Harness;
  let client: TransferClient;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'session-churn-'));
    chmodSync(root, 0o755);
    seat = await startSeat(root, USER);
    agent = await startDaemonOnSeat(seat, { actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })] });
    client = new TransferClient(agent);
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs().slice(-6000)}\n`);
  });

  afterAll(async () => {
    await agent?.stop();
    await seat?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('continues a stopped helper along with its SIGTERM when its session goes: it ends by its own stop, not by SIGKILL', async () => {
    // First, before the flips below fill the log's flood control.
    const session = (id: string): FakeSession => ({ id, user: USER, uid: seat.user.uid, gid: seat.user.gid, display: ':7' });
    seat.logind.add(session('5'));
    seat.logind.activate('5');
    await client.untilServed();
    const stopped = helperPid(agent.pid) as number;
    const before = agent.logs().length;
    process.kill(stopped, 'SIGSTOP');
    seat.logind.add(session('6'));
    seat.logind.activate('6');
    await expect.poll(() => helperPids(agent.pid).filter((pid) => pid !== stopped).length, { timeout: 10_000 }).toBe(1);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    // Only a helper that ran its own stop logs this; a killed one logs nothing.
    expect(agent.logs().slice(before)).toContain('session: module file-xfer stopped');
  });

  it('leaves no file behind for a transfer whose last DATA its stopped helper held unread when its session went (the client heard CANCELLED)', async () => {
    const session = (id: string): FakeSession => ({ id, user: USER, uid: seat.user.uid, gid: seat.user.gid, display: ':7' });
    const landed = (): string[] => (existsSync(seat.user.downloads) ? readdirSync(seat.user.downloads).filter((n) => n === 'held.bin') : []);
    const before = helperPids(agent.pid);
    seat.logind.add(session('3'));
    seat.logind.activate('3');
    await expect.poll(() => helperPids(agent.pid).filter((pid) => !before.includes(pid)).length, { timeout: 10_000 }).toBe(1);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    const content = Buffer.alloc(4096, 0x48);
    const { id, status } = await client.begin('held.bin', content.length);
    expect(status.result).toBe(FileXferResult.CanSendData);
    const stopped = helperPids(agent.pid).find((pid) => !before.includes(pid)) as number;
    process.kill(stopped, 'SIGSTOP');
    await client.data(id, content);
    // The whole file waits in the stopped helper's socket; continued, the helper reads it before it stops.
    await expect.poll(() => unreadSocketBytes(stopped), { timeout: 10_000 }).toBeGreaterThanOrEqual(content.length);

    seat.logind.add(session('4'));
    seat.logind.activate('4');
    expect((await client.statusOf(id, 10_000)).result).toBe(FileXferResult.Cancelled);
    await expect.poll(() => alive(stopped), { timeout: 10_000 }).toBe(false);
    await client.untilServed();
    expect(landed()).toEqual([]);
  }, 60_000);

  it('never has more than one helper ending and one serving: a new helper waits until the last one is gone', async () => {
    // A tty session of the user in front of seat0, which the user's own process (its session
    // controller) turns graphical and back with logind's SetType, as often as it likes.
    const session: FakeSession = { id: '1', user: USER, uid: seat.user.uid, gid: seat.user.gid, display: ':7', type: 'tty' };
    seat.logind.add(session);
    seat.logind.activate(session.id);
    // The user stops (SIGSTOP) each helper the daemon starts for them: each then ends only when the daemon ends it.
    const stopped = new Set<number>();
    let most = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const helpers = helperPids(agent.pid);
        most = Math.max(most, helpers.length);
        for (const pid of helpers.filter((p) => !stopped.has(p))) {
          stopped.add(pid);
          process.kill(pid, 'SIGSTOP');
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    for (let i = 0; i < 40; i++) {
      seat.logind.change(session.id, { Type: i % 2 === 0 ? 'x11' : 'tty' });
      await new Promise((r) => setTimeout(r, 40));
    }
    watching = false;
    await watch;

    expect(stopped.size).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    // The session graphical for good: a helper the user leaves alone serves it.
    seat.logind.change(session.id, { Type: 'x11' });
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
  });

  it('starts helpers that follow each other quickly at a growing spacing: 60 flips start a handful, and the session is served once it stays', async () => {
    const started = new Set<number>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const pid of helperPids(agent.pid)) started.add(pid);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // The session of the test before, left graphical: 60 flips, ending graphical.
    for (let i = 0; i < 60; i++) {
      seat.logind.change('1', { Type: i % 2 === 0 ? 'tty' : 'x11' });
      await new Promise((r) => setTimeout(r, 40));
    }
    watching = false;
    await watch;
    // One start per flip to graphical (30) before; 100 ms doubling to 10 s between starts now.
    expect(started.size).toBeLessThanOrEqual(8);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
  }, 30_000);

});
