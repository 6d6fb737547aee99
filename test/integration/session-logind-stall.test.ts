import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startBusDaemon } from '../support/dbus-daemon.js';
import { FakeLogind } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { startHostileBus, type HostileBus } from '../support/hostile-bus.js';
import { expectBothPortsServed } from '../support/ports-served.js';
import { openQgaPty, type QgaPty } from '../support/qga-harness.js';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

describe('a system bus or logind that stops answering', () => {
  let root: string;
  let actionsDir: string;
  let qga: QgaPty;
  let agent: Harness;
  let events: string;
  let n = 0;

  /** The daemon on a SPICE pty and a QGA pty, with `--session auto` on the system bus at `address`. */
  const start = async (address: string): Promise<void> => {
    events = join(root, `events-${n++}`);
    qga = await openQgaPty();
    agent = await startPtyHarness({ actionsDirs: [actionsDir], session: 'auto', env: { DBUS_SYSTEM_BUS_ADDRESS: address }, extraArgs: ['--qga-port', qga.path, '--fake-uinput', events] });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    await qga.client.sync();
  };

  /** FILE_XFER_START's answer while no helper serves. */
  const startAnswer = async (id: number): Promise<FileXferResult> => {
    await agent.sim.send({ type: MessageType.FileXferStart, id, keyfile: '[vdagent-file-xfer]\nname=a\nsize=1\n' });
    return (await agent.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 5000 })).result;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'logind-stall-'));
    chmodSync(root, 0o755);
    actionsDir = makeActionsDir(root, { 'file-xfer': '', mouse: '' });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    // Resolves only once the daemon has exited: a daemon held up by the bus would time the test out.
    await agent.stop();
    await qga.close();
  });

  it('a logind that leaves calls unanswered: both ports are served meanwhile, and the session is served once logind answers again', async () => {
    const bus = await startBusDaemon(join(root, `system_bus_${n}`));
    const logind = await FakeLogind.start(bus.address);
    try {
      logind.stall(true);
      await start(bus.address);
      logind.add({ id: '1', user: 'me', uid: me.uid, gid: me.gid, display: ':7' });
      logind.activate('1');
      expect(await startAnswer(1)).toBe(FileXferResult.VdagentNotConnected);
      await expectBothPortsServed(agent, qga, events);

      // The seat's next PropertiesChanged makes the daemon read again.
      logind.stall(false);
      logind.activate('1');
      expect((await new TransferClient(agent).untilServed()).result).toBe(FileXferResult.CanSendData);
    } finally {
      logind.stop();
      await bus.stop();
    }
  });

  it('a system bus that accepts and never answers: both ports are served, session modules stay off, and SIGTERM ends the daemon', async () => {
    const path = join(root, `silent_bus_${n}`);
    const silent: HostileBus = await startHostileBus(path, 'silent', me);
    try {
      await start(`unix:path=${path}`);
      await expectBothPortsServed(agent, qga, events);
      expect(await startAnswer(1)).toBe(FileXferResult.VdagentNotConnected);
      expect(silent.clients.length).toBe(1);
    } finally {
      await silent.stop();
    }
  });
});
