import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EV_SYN, decodeInputEvents } from '../../src/platform/uinput/input-event.js';
import { MessageType } from '../../src/protocol/index.js';
import { startDesktopDaemon, type DesktopDaemon } from '../support/desktop-daemon.js';
import { chunk } from '../support/frames.js';
import { QgaStreamMutator } from '../support/qga-mutator.js';
import { RssSampler, settledRss } from '../support/rss-sampler.js';
import { fuzzSeed, SeededRandom } from '../support/seeded-random.js';
import { VdagentStreamMutator } from '../support/vdagent-mutator.js';

/** Bytes of mutated VDAgent stream written to the SPICE port per run. */
const SPICE_BYTES = 10 * 1024 * 1024;
/** Bytes of mutated guest-agent JSON written to the guest-agent port per run. */
const QGA_BYTES = 2 * 1024 * 1024;
/** Bound on the growth of daemon + helper resident memory over their idle value during the run. */
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
/** Bytes written at once to each port. */
const SPICE_SEGMENT_BYTES = 64 * 1024;
const QGA_SEGMENT_BYTES = 64 * 1024;
/** Share of SPICE segments that end with a broken chunk layer (the agent reopens its port there). */
const BREAK_CHANCE = 0.08;
/** How long the agent may take to reopen its port after a broken chunk layer. */
const REOPEN_TIMEOUT_MS = 15_000;
/** How long the guest agent may take to answer a segment's requests and then a guest-sync-delimited. */
const QGA_SYNC_TIMEOUT_MS = 30_000;
/** Set to replay a run: its seed is printed at the start of each run. */
const SEED_VARIABLE = 'VDAGENT_FUZZ_SEED';

const MiB = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

describe('the daemon and its session helper under mutated streams on both ports', () => {
  const seed = fuzzSeed(SEED_VARIABLE);
  let d: DesktopDaemon;
  let idle: number;
  let helper: number | undefined;

  beforeAll(async () => {
    d = await startDesktopDaemon();
    await new Promise((r) => setTimeout(r, 1000));
    idle = await settledRss(() => d.rss());
    helper = d.helper();
  }, 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log (last 20,000 characters) ---\n${d.agent.logs().slice(-20_000)}\n`);
  });

  afterAll(async () => {
    await d?.stop();
  });

  /** Waits for the agent's announcement with request=1, which it makes each time its port opens. */
  const reopened = (): Promise<unknown> => d.agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: REOPEN_TIMEOUT_MS });

  async function feedSpice(rng: SeededRandom): Promise<{ mutated: number; reopens: number }> {
    const mutator = new VdagentStreamMutator(rng);
    let sent = 0;
    let mutated = 0;
    let reopens = 0;
    while (sent < SPICE_BYTES) {
      const segment = mutator.segment(Math.min(SPICE_SEGMENT_BYTES, SPICE_BYTES - sent), BREAK_CHANCE);
      d.agent.sim.consumeAll();
      await d.agent.sim.sendRaw(segment.bytes);
      sent += segment.bytes.length;
      mutated += segment.mutated;
      if (segment.breaksChunks) {
        await reopened();
        reopens++;
      }
    }
    return { mutated, reopens };
  }

  async function feedQga(rng: SeededRandom): Promise<void> {
    const mutator = new QgaStreamMutator(rng);
    for (let sent = 0; sent < QGA_BYTES; ) {
      const segment = mutator.segment(Math.min(QGA_SEGMENT_BYTES, QGA_BYTES - sent));
      await d.qga.send(segment);
      sent += segment.length;
      // A host reads its answers: wait until the agent caught up before writing more.
      await d.qga.sync(QGA_SYNC_TIMEOUT_MS);
    }
  }

  it(`keeps running, with daemon + helper memory within idle + ${MiB(RSS_GROWTH_BOUND)}, through ${MiB(SPICE_BYTES)} of VDAgent and ${MiB(QGA_BYTES)} of guest-agent input`, async () => {
    const sampler = new RssSampler(() => d.rss(), 100).start();
    const daemonAlone = new RssSampler(() => d.agent.rss(), 100).start();
    const t0 = performance.now();
    const seconds = (): string => ((performance.now() - t0) / 1000).toFixed(1);
    const [spice, qgaSeconds] = await Promise.all([
      feedSpice(new SeededRandom(seed)).then((r) => ({ ...r, seconds: seconds() })),
      feedQga(new SeededRandom(seed ^ 0x5a5a5a5a)).then(seconds),
    ]);
    const { peak, samples } = sampler.stop();
    const daemonPeak = daemonAlone.stop().peak;
    process.stdout.write(
      `fuzz (seed ${seed}): VDAgent ${MiB(SPICE_BYTES)} in ${spice.seconds} s, ${spice.mutated} mutated messages, ${spice.reopens} port reopens; ` +
        `guest agent ${MiB(QGA_BYTES)} in ${qgaSeconds} s; total ${MiB((SPICE_BYTES + QGA_BYTES) / Number(seconds()))}/s; ` +
        `RSS daemon + helper idle ${MiB(idle)}, peak ${MiB(peak)} (+${MiB(peak - idle)}, bound +${MiB(RSS_GROWTH_BOUND)}), daemon alone peak ${MiB(daemonPeak)}; ${samples} samples\n`,
    );
    const replay = `replay with ${SEED_VARIABLE}=${seed}`;
    expect(d.running(), replay).toBe(true);
    expect(d.helper(), replay).toBe(helper);
    expect(peak - idle, replay).toBeLessThanOrEqual(RSS_GROWTH_BOUND);
  }, 180_000);

  it('answers afterwards: the SPICE handshake, a mouse event reaches the tablet, guest-ping after a resync', async () => {
    // Start clean: a foreign chunk port makes the agent reopen, as a host would after garbage.
    d.agent.sim.consumeAll();
    await d.agent.sim.sendRaw(chunk(0, Buffer.alloc(16)));
    await reopened();
    // Bytes still in flight when the port reopened can cost another reopen: ask until answered.
    await expect
      .poll(
        async () => {
          d.agent.sim.consumeAll();
          d.agent.sim.connect();
          return (await d.agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 2000 }).catch(() => undefined)) !== undefined;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);

    const events = (): number => (existsSync(d.events) ? decodeInputEvents(readFileSync(d.events)).length : 0);
    const before = events();
    await d.agent.sim.mouse(301, 302, 0, 0);
    await d.agent.sim.mouse(303, 304, 0, 0);
    await expect.poll(events, { timeout: 5000 }).toBeGreaterThan(before);
    expect(decodeInputEvents(readFileSync(d.events)).at(-1)?.type).toBe(EV_SYN);

    await d.qga.sync(15_000);
    expect(await d.qga.json({ execute: 'guest-ping' }), `replay with ${SEED_VARIABLE}=${seed}`).toEqual({ return: {} });
    expect(d.running()).toBe(true);
  }, 60_000);
});
