import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startBusMonitor, type BusMonitor } from '../support/bus-monitor.js';
import { startBusDaemon, type BusDaemon } from '../support/dbus-daemon.js';
import { FakeLogind, forgeSessionSignal, forgeSignals, type FakeSession } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const SESSION: FakeSession = { id: '1', user: 'me', ...me, display: ':7' };

describe('logind’s Lock and Unlock count from logind alone, followed across a logind restart', () => {
  let root: string;
  let bus: BusDaemon;
  let monitor: BusMonitor;
  let logind: FakeLogind;
  let agent: Harness;
  let client: TransferClient;

  /** FILE_XFER_START's answer now: SESSION_LOCKED while the session counts as locked. */
  const answer = (): Promise<FileXferResult> => client.answerNow();
  const untilAnswer = (result: FileXferResult): Promise<void> => expect.poll(answer, { timeout: 5000 }).toBe(result);

  /** logind's session in front, with the helper serving it. */
  const sessionServed = async (): Promise<void> => {
    logind.add(SESSION);
    logind.activate(SESSION.id);
    await client.untilServed();
  };

  /** The daemon's GetNameOwner calls for logind's name so far. */
  const ownerQueries = (): number => monitor.messages().filter((m) => m.includes('member=GetNameOwner') && m.includes('string "org.freedesktop.login1"')).length;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'logind-owner-'));
    chmodSync(root, 0o755);
    bus = await startBusDaemon(join(root, 'system_bus'));
    monitor = await startBusMonitor(bus.address, "type='method_call',member='GetNameOwner'");
    logind = await FakeLogind.start(bus.address);
    agent = await startPtyHarness({ actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })], session: 'auto', env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address, HOME: root } });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    client = new TransferClient(agent);
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
  });

  afterAll(async () => {
    await agent?.stop();
    logind?.stop();
    await monitor?.stop();
    await bus?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('follows logind restarting under a new unique name: the new one’s Lock and Unlock count, another peer’s Unlock does not', async () => {
    await sessionServed();
    logind.signalLock(SESSION.id, true);
    await untilAnswer(FileXferResult.SessionLocked);
    logind.signalLock(SESSION.id, false);
    await untilAnswer(FileXferResult.CanSendData);

    const before = logind.uniqueName;
    logind.stop();
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.VdagentNotConnected);
    logind = await FakeLogind.start(bus.address);
    expect(logind.uniqueName).not.toBe(before);
    await sessionServed();
    logind.signalLock(SESSION.id, true);
    await untilAnswer(FileXferResult.SessionLocked);

    await forgeSessionSignal(bus.address, logind.pathOf(SESSION.id), 'Unlock');
    // Nor one that first says, as the bus would, that it owns logind's name now.
    await forgeSignals(bus.address, (self) => [
      { path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameOwnerChanged', signature: 'sss', body: ['org.freedesktop.login1', logind.uniqueName, self] },
      { path: logind.pathOf(SESSION.id), interface: 'org.freedesktop.login1.Session', member: 'Unlock' },
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await answer()).toBe(FileXferResult.SessionLocked);
    logind.signalLock(SESSION.id, false);
    await untilAnswer(FileXferResult.CanSendData);
  });

  it('asks the bus for logind’s owner once, at start, not at each of the reads that followed', () => {
    expect(ownerQueries()).toBe(1);
  });
});
