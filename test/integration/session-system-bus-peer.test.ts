import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startBusMonitor } from '../support/bus-monitor.js';
import { floodAsUser, marshalled } from '../support/bus-stranger.js';
import { startBusDaemon, type BusDaemon } from '../support/dbus-daemon.js';
import { FakeLogind, forgeSignals, toEveryOtherPeer, type FakeSession } from '../support/fake-logind.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { cpuTicks, peakRssOf, resetPeakRss, rssOf } from '../support/proc.js';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const SESSION: FakeSession = { id: '1', user: 'me', ...me, display: ':7' };
const MiB = 1 << 20;
/** The bound the daemon holds over its idle size, whatever a peer sends. */
const BOUND = 64 * MiB;
/** A local user who is not root (nobody). */
const STRANGER = 65534;
/** Signals in the flood: each just under 64 KiB, so about 100 MB through the bus. */
const FLOOD = 1500;
/**
 * The daemon's CPU time for the whole flood, in clock ticks (10 ms): read whole, its signals cost
 * 10–13 ms each (14–20 s for the flood); dropped unread, 0.3 ms (0.45 s).
 */
const FLOOD_CPU = 200;

/**
 * A signal to `destination` whose body (signature `aay`) is `count` empty byte arrays, 4 bytes each,
 * marshalled: dbus-next reads it into a value per array.
 */
function emptyArraysSignal(destination: string, count: number): Buffer {
  const small = marshalled(new dbus.Message({ type: dbus.MessageType.SIGNAL, destination, path: '/x', interface: 'org.example.Peer', member: 'Big', signature: 'aay', body: [[]] }), 1000);
  const head = small.subarray(0, small.length - small.readUInt32LE(4));
  const body = Buffer.alloc(4 + 4 * count);
  body.writeUInt32LE(4 * count, 0);
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/**
 * Any peer on the system bus sends every other peer a signal of `count` empty arrays: the system
 * bus's policy lets every user send signals to any destination, and a unicast signal reaches a
 * peer whatever its match rules.
 */
async function sendHugeSignal(address: string, count: number): Promise<void> {
  await toEveryOtherPeer(address, (bus, name) => {
    const stream = (bus as unknown as { _connection: { stream: NodeJS.WritableStream } })._connection.stream;
    stream.write(emptyArraysSignal(name, count));
  });
}

/** The unique names of the peers on the bus but logind and the asker: the daemon's. */
async function daemonNames(address: string): Promise<string[]> {
  const asker = dbus.sessionBus({ busAddress: address });
  const ask = async (member: string, signature?: string, body?: unknown[]): Promise<unknown> => {
    const reply = await asker.call(new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body }));
    return reply?.body[0];
  };
  try {
    const logind = await ask('GetNameOwner', 's', ['org.freedesktop.login1']);
    const names = (await ask('ListNames')) as string[];
    return names.filter((n) => n.startsWith(':') && n !== logind && n !== (asker as unknown as { name: string }).name);
  } finally {
    asker.disconnect();
  }
}

/** The type codes `u` (UINT32) and `h` (UNIX_FD) as bytes of a marshalled signature. */
const U = 0x75;
const H = 0x68;

/**
 * Signals to `destination` that the bus delivers and dbus-next cannot read: a UNIX_FD (`h`) in the
 * body, at the top and inside a variant, with no descriptor sent along. The bus checks only the
 * index's bytes; dbus-next throws on it from its socket's 'readable' handler.
 */
function unreadableSignals(destination: string): Buffer[] {
  const shapes = [
    { signature: 'u', body: [0], at: (b: Buffer) => b.indexOf(Buffer.from([0x08, 0x01, 0x67, 0x00, 0x01, U, 0x00])) + 5 },
    { signature: 'v', body: [new dbus.Variant('u', 0)], at: (b: Buffer) => b.length - b.readUInt32LE(4) + 1 },
  ];
  let serial = 2000;
  return [...shapes, ...shapes].map(({ signature, body, at }) => {
    const bytes = marshalled(new dbus.Message({ type: dbus.MessageType.SIGNAL, destination, path: '/x', interface: 'org.example.Peer', member: 'Fd', signature, body }), serial++);
    if (bytes[at(bytes)] !== U) throw new Error(`no u to make an h of in the ${signature} signal`);
    bytes[at(bytes)] = H;
    return bytes;
  });
}

/**
 * unreadableSignals sent to every peer but logind's (the test's own dbus-next connection), each
 * addressed to its unique name as in sendHugeSignal.
 */
async function sendUnreadableSignals(address: string): Promise<void> {
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
    for (const bytes of unreadableSignals(name)) stream.write(bytes);
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

  it('cannot end the daemon with signals dbus-next cannot read (a descriptor index with no descriptor), from another peer or from logind’s own name, and logind is still heard', async () => {
    logind.signalLock(SESSION.id, false);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.CanSendData);
    await sendUnreadableSignals(bus.address);
    // Another peer's are dropped unread; logind's own are heard, so dbus-next reads them, and throws.
    for (const name of await daemonNames(bus.address)) for (const bytes of unreadableSignals(name)) logind.sendRaw(bytes);
    // logind's Lock comes after them on the daemon's connection: once it counts, they were read.
    logind.signalLock(SESSION.id, true);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.SessionLocked);
    logind.signalLock(SESSION.id, false);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.CanSendData);
  });

  it('cannot keep the daemon busy with a flood of signals from another user: it drops them unread, and logind is still heard during and after', async () => {
    logind.signalLock(SESSION.id, false);
    await expect.poll(answer, { timeout: 5000 }).toBe(FileXferResult.CanSendData);
    const [daemon, ...others] = await daemonNames(bus.address);
    expect(daemon).toBeDefined();
    expect(others).toEqual([]);
    const before = cpuTicks(agent.pid);
    // 16,000 empty arrays: 64,004 bytes of body, under the 64 KiB a message may have.
    await floodAsUser(bus.address, STRANGER, emptyArraysSignal(daemon as string, 16_000), FLOOD, async () => {
      logind.signalLock(SESSION.id, true);
      await expect.poll(answer, { timeout: 60_000 }).toBe(FileXferResult.SessionLocked);
    });
    // logind's Unlock comes after the whole flood on the daemon's connection: once it counts, the flood was read.
    logind.signalLock(SESSION.id, false);
    await expect.poll(answer, { timeout: 60_000 }).toBe(FileXferResult.CanSendData);
    expect(cpuTicks(agent.pid) - before).toBeLessThanOrEqual(FLOOD_CPU);
  }, 180_000);
});
