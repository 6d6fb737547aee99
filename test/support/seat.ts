import { join } from 'node:path';
import { MessageType } from '../../src/protocol/index.js';
import { startBusDaemon, type BusDaemon } from './dbus-daemon.js';
import { FakeLogind } from './fake-logind.js';
import { type Harness, type HarnessOptions, startPtyHarness } from './harness.js';
import { createTestUser, removeTestUser, type TestUser, type TestUserOptions } from './test-user.js';

/** A private system bus with the fake logind on it, and a real test user whose sessions it can report. */
export interface Seat {
  bus: BusDaemon;
  logind: FakeLogind;
  user: TestUser;
  /** Stops logind and the bus and removes the user (and its extra group). */
  stop(): Promise<void>;
}

/** Starts a seat under `root`: the bus socket there, the user's home in `root/home`. */
export async function startSeat(root: string, userName: string, options: TestUserOptions = {}): Promise<Seat> {
  const bus = await startBusDaemon(join(root, 'system_bus_socket'));
  const logind = await FakeLogind.start(bus.address);
  const user = createTestUser(userName, join(root, 'home'), options);
  return {
    bus,
    logind,
    user,
    async stop() {
      logind.stop();
      await bus.stop();
      removeTestUser(userName, options.extraGroup);
    },
  };
}

/**
 * Starts the daemon on a pty with `--session auto` following this seat's logind, with the given
 * options (its environment added to the seat's bus), once it asked the client for its capabilities.
 */
export async function startDaemonOnSeat(seat: Seat, options: HarnessOptions): Promise<Harness> {
  const agent = await startPtyHarness({ ...options, session: 'auto', env: { DBUS_SYSTEM_BUS_ADDRESS: seat.bus.address, ...options.env } });
  await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
  return agent;
}
