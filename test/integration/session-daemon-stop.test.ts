import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { CLI, startPtyHarness, type Harness } from '../support/harness.js';
import { alive, helperPid } from '../support/proc.js';
import { startDaemonOnSeat, startSeat } from '../support/seat.js';

/** The daemon's entry script that starts itself again as a hostile helper (see the fixture). */
const FIXTURE = fileURLToPath(new URL('../fixtures/hostile-helper.mjs', import.meta.url));
/** SIGTERM ends the daemon within this, whatever is queued (README, Limits: stop). */
const STOP_BOUND_MS = 2000;

/** The user's loop: SIGSTOP to their helper as fast as a shell sends it, until the helper is gone. */
function stopAgainAndAgain(helper: number): ChildProcess {
  return spawn('bash', ['-c', 'while kill -STOP "$1" 2>/dev/null; do :; done', 'stopper', String(helper)], { stdio: 'ignore' });
}

/** How long the daemon takes to end after SIGTERM, its session helper included. */
async function stopTime(h: Harness): Promise<number> {
  const started = performance.now();
  await h.stop();
  return performance.now() - started;
}

describe.runIf(process.getuid?.() === 0)('the daemon’s stop, whatever the session’s user does to their helper', () => {
  let root: string;
  let h: Harness | undefined;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'daemon-stop-'));
    chmodSync(root, 0o755);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${h?.logs().slice(-4000)}\n`);
    await h?.stop();
    h = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  it('ends within 2 s while the user stops their helper again each time the daemon continues it, and leaves no helper behind', async () => {
    h = await startPtyHarness({ actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })], session: 'current', env: { HOME: root } });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 20_000 });
    await new TransferClient(h).untilServed();
    const helper = helperPid(h.pid) as number;
    const stopper = stopAgainAndAgain(helper);
    try {
      const took = await stopTime(h);
      process.stderr.write(`daemon stop with its helper stopped again and again: ${took.toFixed(0)} ms\n`);
      expect(took).toBeLessThan(STOP_BOUND_MS);
      expect(alive(helper)).toBe(false);
    } finally {
      stopper.kill('SIGKILL');
    }
  }, 60_000);

  it('ends within 2 s when the user’s own helper ignores SIGTERM, and leaves no helper behind', async () => {
    h = await startPtyHarness({
      cli: FIXTURE,
      actionsDirs: [makeActionsDir(root, { clipboard: '' })],
      session: 'current',
      env: { HOSTILE_CLI: CLI, HOSTILE_MODE: 'deaf' },
    });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.ClipboardByDemand), timeoutMs: 20_000 });
    const helper = helperPid(h.pid) as number;
    const took = await stopTime(h);
    process.stderr.write(`daemon stop with a helper that ignores SIGTERM: ${took.toFixed(0)} ms\n`);
    expect(took).toBeLessThan(STOP_BOUND_MS);
    expect(alive(helper)).toBe(false);
  }, 60_000);
});

describe.runIf(process.getuid?.() === 0)('the daemon’s stop while a helper is still ending after its session went', () => {
  const USER = 'vdagent-stop';
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'daemon-stop-seat-'));
    chmodSync(root, 0o755);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('cuts that helper’s grace too: the daemon ends within 2 s and leaves no helper behind', async () => {
    const seat = await startSeat(root, USER);
    let h: Harness | undefined;
    let stopper: ChildProcess | undefined;
    try {
      h = await startDaemonOnSeat(seat, { actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })] });
      const client = new TransferClient(h);
      seat.logind.add({ id: '1', user: USER, uid: seat.user.uid, gid: seat.user.gid, display: ':7' });
      seat.logind.activate('1');
      await client.untilServed();
      const helper = helperPid(h.pid) as number;
      stopper = stopAgainAndAgain(helper);
      // The session turns text-only: its helper is being ended (the user keeps it stopped), and
      // the client is told at once that nothing serves transfers.
      seat.logind.change('1', { Type: 'tty' });
      await expect.poll(() => client.answerNow(), { timeout: 10_000 }).toBe(FileXferResult.VdagentNotConnected);
      const took = await stopTime(h);
      process.stderr.write(`daemon stop while its helper ends after a session change: ${took.toFixed(0)} ms\n`);
      expect(took).toBeLessThan(STOP_BOUND_MS);
      expect(alive(helper)).toBe(false);
    } catch (err) {
      process.stderr.write(`--- daemon log ---\n${h?.logs().slice(-4000)}\n`);
      throw err;
    } finally {
      stopper?.kill('SIGKILL');
      await h?.stop();
      await seat.stop();
    }
  }, 60_000);
});
