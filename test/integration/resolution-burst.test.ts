import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageType, ReplyError } from '../../src/protocol/index.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { daemonAndHelperRss, flood, wire } from '../support/flood.js';
import { monitorsConfig } from '../support/module-context.js';

const MiB = 1 << 20;
/** The bound the daemon and its helper hold together over their idle size, under any input at any rate. */
const BOUND = 64 * MiB;
/** Messages of the burst: about 8 MB on the wire, sent without a pause. */
const BURST = 150_000;

describe('a host that never pauses its MONITORS_CONFIG burst (real daemon, helper on Xvfb)', () => {
  let d: DesktopDaemon;

  beforeEach(async () => {
    d = await startDesktopDaemon();
  });

  afterEach((ctx) => stopAfterTest(d, ctx.task.result?.state === 'fail'));

  it('is owed no more answers than a bound: memory stays within 64 MB of idle and every message gets its REPLY', async () => {
    const replies = (): number => d.agent.sim.records.filter((r) => r.from === 'agent' && r.message?.type === MessageType.Reply).length;
    await expect.poll(() => d.helper(), { timeout: 10_000 }).toBeDefined();
    // The client's own layout at its start is answered first, if the helper served it in time.
    await d.agent.sim.expect(MessageType.Reply, { timeoutMs: 3000 }).catch(() => undefined);
    const before = replies();
    const idle = daemonAndHelperRss(d.agent.pid);
    let peak = idle;
    const sample = (): void => {
      peak = Math.max(peak, daemonAndHelperRss(d.agent.pid));
    };
    const burst = wire(Array.from({ length: BURST }, (_, i) => monitorsConfig([{ width: 800 + (i % 200), height: 600 }])));
    await flood(d.agent.hostFd as number, burst, { sample });
    await expect
      .poll(
        () => {
          sample();
          return replies();
        },
        { timeout: 30_000, interval: 20 },
      )
      .toBe(before + BURST);
    expect(peak - idle).toBeLessThan(BOUND);
    const answers = d.agent.sim.records.filter((r) => r.from === 'agent' && r.message?.type === MessageType.Reply).map((r) => r.message);
    expect(answers.every((m) => m?.type === MessageType.Reply && m.replyTo === MessageType.MonitorsConfig && m.error === ReplyError.Success)).toBe(true);
    expect(d.running()).toBe(true);
  }, 120_000);
});
