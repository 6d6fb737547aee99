import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startBusMonitor } from '../support/bus-monitor.js';
import { startBusDaemon, type BusDaemon } from '../support/dbus-daemon.js';
import { FakeLogind, forgeSignals, toEveryOtherPeer, type FakeSession } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { peakRssOf, resetPeakRss, rssOf } from '../support/proc.js';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const SESSION: FakeSession = { id: '1', user: 'me', ...me, display: ':7' };
const MiB = 1 << 20;
/** The bound the daemon holds over its idle size, whatever a peer sends. */
const BOUND = 64 * MiB;

/** dbus-next's marshaller (not in its typings): a message as the bytes sent on the bus. */
interface Marshaller {
  marshallMessage: (message: dbus.Message) => [Buffer];
}

/**
 * Any peer on the system bus sends every other peer a signal whose body (signature `aay`) is
 * `count` empty byte arrays, 4 bytes each: the system bus's policy lets every user send signals to
 * any destination, and a unicast signal reaches a peer whatever its match rules.
 */
async function sendHugeSignal(address: string, count: number): Promise<void> {
  const marshaller = createRequire(import.meta.url)('dbus-next/lib/marshall-compat.js') as Marshaller;
  await toEveryOtherPeer(address, (bus, name) => {
    const stream = (bus as unknown as { _connection: { stream: NodeJS.WritableStream } })._connection.stream;
    const message = new dbus.Message({ type: dbus.MessageType.SIGNAL, destination: name, path: '/x', interface: 'org.example.Peer', member: 'Big', signature: 'aay', body: [[]] });
    message.serial = 1000;
    const [small] = marshaller.marshallMessage(message);
    const head = small.subarray(0, small.length - small.readUInt32LE(4));
    const body = Buffer.alloc(4 + 4 * count);
    body.writeUInt32LE(4 * count, 0);
    head.writeUInt32LE(body.length, 4);
    stream.write(Buffer.concat([head, body]));
  });
}

/** The type codes `u` (UINT32) and `h` (UNIX_FD) as bytes of a marshalled signature. */
const U = 0x75;
const H = 0x68;

/**
 * Signals that the bus delivers and dbus-next cannot read: a UNIX_FD (`h`) in the body, at the top
 * and inside a variant, with no descriptor sent along. The bus checks only the index's bytes; dbus-next
 * throws on it from its socket's 'readable' handler. Sent to every peer but logind's (the test's own
 * dbus-next connection), each addressed to its unique name as in sendHugeSignal.
 */
async function sendUnreadableSignals(address: string): Promise<void> {
  const marshaller = createRequire(import.meta.url)('dbus-next/lib/marshall-compat.js') as Marshaller;
  const asker = dbus.sessionBus({ busAddress: address });
  let logindName: unknown;
  try {
    const owner = new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetNameOwner', signature: 's', body: ['org.freedesktop.login1'] });
    [logindName] = (await asker.call(owner))?.body ?? [];
  } finally {
    asker.disconnect();
  }
  await toEveryOtherPeer(address, (bus, name) => {
    if (name === logindName) return;
    const stream = (bus as unknown as { _connection: { stream: NodeJS.WritableStream } })._connection.stream;
    const shapes = [
      { signature: 'u', body: [0], at: (b: Buffer) => b.indexOf(Buffer.from([0x08, 0x01, 0x67, 0x00, 0x01, U, 0x00])) + 5 },
      { signature: 'v', body: [new dbus.Variant('u', 0)], at: (b: Buffer) => b.length - b.readUInt32LE(4) + 1 },
    ];
    let serial = 2000;
    for (const { signature, body, at } of [...shapes, ...shapes]) {
      const message = new dbus.Message({ type: dbus.MessageType.SIGNAL, destination: name, path: '/x', interface: 'org.example.Peer', member: 'Fd', signature, body });
      message.serial = serial++;
      const [bytes] = marshaller.marshallMessage(message);
      if (bytes[at(bytes)] !== U) throw new Error(`no u to make an h of in the ${signature} signal`);
      bytes[at(bytes)] = H;
      stream.write(bytes);
    }
  });
}

describe.runIf(process.getuid?.() === 0)('a peer on the system bus, as any local user may be', () => {
  let root: string;
  let bus: BusDaemon;
  let logind: FakeLogind;
  let agent: Harness;
  let client: TransferClient;

  /** FILE_XFER_START's answer now: SESSION_LOCKED while the session counts as locked. */
  const answer = (): Promise<FileXferResult> => client.answerNow();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bus-peer-'));
    chmodSync(root, 0o755);
    bus = await startBusDaemon(join(root, 'system_bus'));
    logind = await FakeLogind.start(bus.address);
    agent = await startPtyHarness({ actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })], session: 'auto', env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address, HOME: root } });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    client = new TransferClient(agent);
    logind.add(SESSION);
    logind.activate(SESSION.id);
    await client.untilServed();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs().slice(-4000)}\n`);
  });

  afterAll(async () => {
    await agent?.stop();
    logind?.stop();
    await bus?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('cannot make the daemon re-read logind: logind’s own signals count, the same signals from another peer do not', async () => {
    const monitor = await startBusMonitor(bus.address, "type='method_call',member='GetAll'");
    try {
      const seat = '/org/freedesktop/login1/seat/seat0';
      const changed = { path: seat, interface: 'org.freedesktop.DBus.Properties', member: 'PropertiesChanged', signature: 'sa{sv}as', body: ['org.freedesktop.login1.Seat', {}, []] };
      const added = { path: '/org/freedesktop/login1', interface: 'org.freedesktop.login1.Manager', member: 'SessionNew', signature: 'so', body: ['9', '/org/freedesktop/login1/session/_9'] };
      for (let i = 0; i < 10; i++) await forgeSignals(bus.address, () => Array.from({ length: 50 }, (_, j) => (j % 2 === 0 ? changed : added)));
      // logind's Lock comes after them on the daemon's connection: once it counts, they were read.
      logind.signalLock(SESSION.id, true);
      await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.SessionLocked);
      // The Lock's own read alone: GetAll of the session and of its user.
      expect(monitor.messages().filter((m) => m.includes('member=GetAll')).length).toBeLessThanOrEqual(2);
    } finally {
      await monitor.stop();
    }
    logind.signalLock(SESSION.id, false);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.CanSendData);
  });

  it('cannot make the daemon hold far more than it sent: a 28 MB signal of empty arrays stays within the bound, and logind is still heard', async () => {
    resetPeakRss(agent.pid);
    const idle = rssOf(agent.pid);
    await sendHugeSignal(bus.address, 7_000_000);
    // logind's Lock comes after it on the daemon's connection: once it counts, the signal was read.
    logind.signalLock(SESSION.id, true);
    await expect.poll(answer, { timeout: 60_000 }).toBe(FileXferResult.SessionLocked);
    expect(peakRssOf(agent.pid) - idle).toBeLessThanOrEqual(BOUND);
  }, 120_000);

  it('cannot end the daemon with signals dbus-next cannot read (a descriptor index with no descriptor), and logind is still heard', async () => {
    logind.signalLock(SESSION.id, false);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.CanSendData);
    await sendUnreadableSignals(bus.address);
    // logind's Lock comes after them on the daemon's connection: once it counts, they were read.
    logind.signalLock(SESSION.id, true);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.SessionLocked);
    logind.signalLock(SESSION.id, false);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.CanSendData);
  });
});
