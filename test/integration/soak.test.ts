import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/protocol/index.js';
import type { ClientSimulator } from '../../src/sim/simulator.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { ReplugPort } from '../support/replug-port.js';
import { settledRss } from '../support/rss-sampler.js';

/** Client disconnect/reconnect cycles measured, after the warm-up ones. */
const CLIENT_CYCLES = 1000;
const CLIENT_WARM_UP = 100;
/** Port hang-up/reopen cycles measured, after the warm-up ones. */
const PORT_CYCLES = 200;
const PORT_WARM_UP = 20;
/**
 * How far the daemon's resident memory may grow past its value after the warm-up. It may shrink
 * any amount: V8 returning pages after a collection is no leak (a CI run saw 67.3 -> 61.0 MiB).
 */
const RSS_GROWTH_BOUND = 5 * 1024 * 1024;
/** Quiet time before memory is read, so a collection under way can finish. */
const SETTLE_MS = 1000;
/** How long one answer may take. */
const ANSWER_TIMEOUT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const descriptors = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const MiB = (n: number): string => `${(n / 1048576).toFixed(2)} MiB`;

/** The daemon's memory and descriptors, once settled. */
async function footprint(pid: number, rss: () => number): Promise<{ rss: number; fds: number }> {
  await sleep(SETTLE_MS);
  return { rss: await settledRss(rss), fds: descriptors(pid) };
}

/** The agent's answer to a new client: its capabilities with request=0. */
function answered(sim: ClientSimulator): Promise<unknown> {
  return sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: ANSWER_TIMEOUT_MS });
}

describe('the daemon over many clients and port reopenings', () => {
  let h: Harness | undefined;
  let dir: string | undefined;
  let replug: ReplugPort | undefined;

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && h) process.stderr.write(`--- daemon log (last 20,000 characters) ---\n${h.logs().slice(-20_000)}\n`);
    await h?.stop();
    await replug?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    [h, replug, dir] = [undefined, undefined, undefined];
  });

  it(`answers ${CLIENT_CYCLES} client disconnect/reconnect cycles with memory grown by at most ${MiB(RSS_GROWTH_BOUND)} and no descriptor gained`, async () => {
    const agent = await startPtyHarness();
    h = agent;
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: ANSWER_TIMEOUT_MS });
    /** CLIENT_DISCONNECTED from the server, then a new client's request=1, answered. */
    const cycle = async (): Promise<void> => {
      await agent.sim.disconnect();
      agent.sim.consumeAll();
      agent.sim.connect();
      await answered(agent.sim);
    };
    for (let i = 0; i < CLIENT_WARM_UP; i++) await cycle();
    const before = await footprint(agent.pid, agent.rss);
    const t0 = performance.now();
    for (let i = 0; i < CLIENT_CYCLES; i++) await cycle();
    const seconds = (performance.now() - t0) / 1000;
    const after = await footprint(agent.pid, agent.rss);
    process.stdout.write(`soak: ${CLIENT_CYCLES} client cycles in ${seconds.toFixed(1)} s; RSS ${MiB(before.rss)} -> ${MiB(after.rss)}; descriptors ${before.fds} -> ${after.fds}\n`);
    expect(after.rss - before.rss).toBeLessThanOrEqual(RSS_GROWTH_BOUND);
    expect(after.fds).toBe(before.fds);
  }, 120_000);

  it(`reopens its port after ${PORT_CYCLES} host hang-ups, announcing each time, with memory grown by at most ${MiB(RSS_GROWTH_BOUND)} and no descriptor gained`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'soak-'));
    chmodSync(dir, 0o755);
    const port = await ReplugPort.create(dir);
    replug = port;
    const agent = await startPtyHarness({ extraArgs: ['--port', port.path] });
    h = agent;
    await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: ANSWER_TIMEOUT_MS });
    /** The host hangs up and comes back: the agent reopens, announces with request=1, and answers a new client. */
    const cycle = async (): Promise<void> => {
      await port.replug();
      await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: ANSWER_TIMEOUT_MS });
      port.sim.connect();
      await answered(port.sim);
    };
    for (let i = 0; i < PORT_WARM_UP; i++) await cycle();
    const before = await footprint(agent.pid, agent.rss);
    const t0 = performance.now();
    for (let i = 0; i < PORT_CYCLES; i++) await cycle();
    const seconds = (performance.now() - t0) / 1000;
    const after = await footprint(agent.pid, agent.rss);
    process.stdout.write(`soak: ${PORT_CYCLES} port hang-ups in ${seconds.toFixed(1)} s; RSS ${MiB(before.rss)} -> ${MiB(after.rss)}; descriptors ${before.fds} -> ${after.fds}\n`);
    expect(after.rss - before.rss).toBeLessThanOrEqual(RSS_GROWTH_BOUND);
    expect(after.fds).toBe(before.fds);
  }, 180_000);
});
