import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileXferResult } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import type { FakeSession } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import type { Harness } from '../support/harness.js';
import { helperPid, helperPids } from '../support/proc.js';
import { startDaemonOnSeat, startSeat, type Seat } from '../support/seat.js';

const USER = 'vdagent-stuck';
/** cgroup v1's freezer: a task frozen there does not end on SIGKILL until thawed. */
const FREEZER = '/sys/fs/cgroup/freezer';

describe.runIf(process.getuid?.() === 0 && existsSync(join(FREEZER, 'cgroup.procs')))('a helper that SIGKILL does not end, as one stuck in the kernel on the user’s own FUSE mount', () => {
  let root: string;
  let seat: Seat;
  let agent: Harness;
  let frozen: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'session-stuck-'));
    chmodSync(root, 0o755);
    seat = await startSeat(root, USER);
    frozen = join(FREEZER, `vdagent-test-${process.pid}`);
    mkdirSync(frozen);
    agent = await startDaemonOnSeat(seat, { actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })] });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs().slice(-6000)}\n`);
  });

  afterAll(async () => {
    writeFileSync(join(frozen, 'freezer.state'), 'THAWED');
    await agent?.stop();
    // The thawed helper ends by the SIGKILL it was sent.
    while (existsSync(frozen)) {
      try {
        rmdirSync(frozen);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await seat?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('holds up neither the next session’s helper nor the daemon’s stop', async () => {
    const client = new TransferClient(agent);
    const session = (id: string): FakeSession => ({ id, user: USER, uid: seat.user.uid, gid: seat.user.gid, display: ':7' });
    seat.logind.add(session('1'));
    seat.logind.activate('1');
    await client.untilServed();
    const stuck = helperPid(agent.pid) as number;
    writeFileSync(join(frozen, 'cgroup.procs'), String(stuck));
    writeFileSync(join(frozen, 'freezer.state'), 'FROZEN');

    seat.logind.add(session('2'));
    seat.logind.activate('2');
    await expect.poll(() => helperPids(agent.pid).filter((pid) => pid !== stuck).length, { timeout: 10_000 }).toBe(1);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    await agent.stop();
  });
});
