import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
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

const USER = 'vdagent-stopped';

describe.runIf(process.getuid?.() === 0)('a helper its user stopped with SIGSTOP', () => {
  let root: string;
  let seat: Seat;
  let agent: Harness;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'session-stopped-'));
    chmodSync(root, 0o755);
    seat = await startSeat(root, USER);
    agent = await startDaemonOnSeat(seat, { actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })] });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs().slice(-6000)}\n`);
  });

  afterAll(async () => {
    await agent?.stop();
    await seat?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('is continued with its SIGTERM when its session goes: it ends by its own stop, not by SIGKILL', async () => {
    const client = new TransferClient(agent);
    const session = (id: string): FakeSession => ({ id, user: USER, uid: seat.user.uid, gid: seat.user.gid, display: ':7' });
    seat.logind.add(session('1'));
    seat.logind.activate('1');
    await client.untilServed();
    const stopped = helperPid(agent.pid) as number;
    process.kill(stopped, 'SIGSTOP');

    seat.logind.add(session('2'));
    seat.logind.activate('2');
    await expect.poll(() => helperPids(agent.pid).filter((pid) => pid !== stopped).length, { timeout: 10_000 }).toBe(1);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    // Only the stopped helper has stopped its modules so far; a killed one logs nothing.
    expect(agent.logs()).toContain('session: module file-xfer stopped');
  });
});
