import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { decodeInputEvents, EV_ABS } from '../../src/platform/uinput/input-event.js';
import type { Harness } from './harness.js';
import type { QgaPty } from './qga-harness.js';
import type { Port } from '../../src/transport/port.js';
import { MessageType } from '../../src/protocol/index.js';
import { ClientSimulator } from '../../src/sim/simulator.js';

/**
 * Checks that a daemon serves both its ports: a mouse position the client sends reaches the
 * `--fake-uinput` file `events` (the mouse entry must be on), and guest-ping is answered.
 */
export async function expectBothPortsServed(agent: Harness, qga: QgaPty, events: string): Promise<void> {
  const before = existsSync(events) ? readFileSync(events).length : 0;
  const written = (): number[] => (existsSync(events) ? decodeInputEvents(readFileSync(events).subarray(before)) : []).filter((e) => e.type === EV_ABS).map((e) => e.value);
  await agent.sim.mouse(123, 45);
  await expect.poll(written, { timeout: 5000 }).toEqual([123, 45]);
  expect(await qga.client.json({ execute: 'guest-ping' })).toEqual({ return: {} });
}

/**
 * Whether a daemon serves its SPICE port while one of its calls waits in the kernel: once
 * `waiting()` holds (polled), a new client on `spice` gets the announcement (true) or, with the
 * event loop held by that call, nothing within 10 s (false).
 */
export async function spiceServedWhile(spice: Port, waiting: () => boolean): Promise<boolean> {
  await expect.poll(waiting, { timeout: 10_000 }).toBe(true);
  const sim = new ClientSimulator(spice);
  sim.connect();
  return sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 10_000 }).then(
    () => true,
    () => false,
  );
}
