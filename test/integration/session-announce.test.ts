import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, type CapabilitySet, MessageType } from '../../src/protocol/index.js';
import { startDesktopDaemon, type DesktopDaemon } from '../support/desktop-daemon.js';

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('announcements with a desktop session up (a real helper on Xvfb)', () => {
  let desktop: DesktopDaemon;

  /** The agent's announcements from now on. */
  const announcements = (from: number) =>
    desktop.agent.sim.records.slice(from).flatMap((r) => (r.from === 'agent' && r.message?.type === MessageType.AnnounceCapabilities ? [r.message] : []));
  /** Whether `caps` include the session modules' bits: clipboard and file transfers served. */
  const servesSession = (caps: CapabilitySet): boolean => caps.has(Capability.ClipboardByDemand) && !caps.has(Capability.FileXferDisabled);

  beforeEach(async () => {
    desktop = await startDesktopDaemon();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${desktop.agent.logs()}\n`);
    await desktop.stop();
  });

  it('announces first with the daemon’s own modules, and the session modules’ bits once the helper serves them', async () => {
    const [first] = announcements(0);
    expect(first?.request).toBe(true);
    expect(first?.caps.has(Capability.MouseState)).toBe(true);
    const later = await desktop.agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => servesSession(m.caps), timeoutMs: 10_000 });
    expect(later.request).toBe(false);
  });

  it('answers a client’s announcement with one announcement carrying the session modules’ bits, and no second one', async () => {
    const { sim } = desktop.agent;
    await sim.expect(MessageType.AnnounceCapabilities, { where: (m) => servesSession(m.caps), timeoutMs: 10_000 });
    const from = sim.records.length;
    sim.connect();
    const answer = await sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    expect(servesSession(answer.caps)).toBe(true);
    await delay(500);
    expect(announcements(from)).toEqual([answer]);
  });
});
