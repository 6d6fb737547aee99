import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileXferResult } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { TransferClient } from '../support/file-xfer-client.js';
import type { Harness } from '../support/harness.js';
import { startDaemonOnSeat, startSeat, type Seat } from '../support/seat.js';
import { startTaskLimit, TASK_LIMIT_AVAILABLE, type TaskLimit } from '../support/task-limit.js';

const USER = 'vdagent-tasks';

describe.runIf(process.getuid?.() === 0 && TASK_LIMIT_AVAILABLE)('the service’s task limit, which the session user’s processes under the helper count toward', () => {
  let root: string;
  let seat: Seat;
  let limit: TaskLimit;
  let agent: Harness;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'session-tasks-'));
    chmodSync(root, 0o755);
    seat = await startSeat(root, USER);
    limit = startTaskLimit(`vdagent-test-${process.pid}`);
    agent = await startDaemonOnSeat(seat, { actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })], prefix: limit.prefix });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs().slice(-6000)}\n`);
  });

  afterAll(async () => {
    limit?.set('max');
    await agent?.stop();
    limit?.remove();
    await seat?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('reached when the session starts: the helper is started again once there is room, and serves', async () => {
    const client = new TransferClient(agent);
    // The user's processes hold every task the limit allows but the daemon's own.
    limit.set(limit.current());
    seat.logind.add({ id: '1', user: USER, uid: seat.user.uid, gid: seat.user.gid, display: ':7' });
    seat.logind.activate('1');
    await expect.poll(() => limit.refused(), { timeout: 5000 }).toBeGreaterThan(0);
    expect(await client.answerNow()).toBe(FileXferResult.VdagentNotConnected);
    // Those processes end.
    limit.set('max');
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
  });
});
