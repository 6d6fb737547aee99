import { ClipboardSelection, ClipboardType, MessageType } from '../src/protocol/index.js';
import { xclipCopy } from '../test/support/xclip.js';
import { startSpiceVdagentOnSocket, startVdagentOnSocket, type BenchAgent } from './agents.js';

/**
 * Probe (not part of `npm run bench`): guest->client clipboard on a UNIX-socket port, each round
 * printed, for tracing an agent while it runs. `node build/bench/clip-probe.js [ours|spice] MiB rounds`;
 * with CLIP_PROBE_WAIT=ms it waits that long after printing the pids, to attach strace or perf.
 */
async function main(): Promise<void> {
  const [who = 'ours', mib = '1', rounds = '10'] = process.argv.slice(2);
  const size = Number(mib) * 1024 * 1024;
  const a: BenchAgent = who === 'spice' ? await startSpiceVdagentOnSocket() : await startVdagentOnSocket();
  const sim = a.agent.sim;
  process.stdout.write(`pids: daemon ${a.agent.pid} helper ${a.helper()}\n`);
  await new Promise((r) => setTimeout(r, Number(process.env.CLIP_PROBE_WAIT ?? 2000)));
  const times: number[] = [];
  try {
    for (let round = 0; round < Number(rounds); round++) {
      const text = Buffer.alloc(size, 0x61 + (round % 26));
      sim.consumeAll();
      const grabbed = sim.expect(MessageType.ClipboardGrab, { timeoutMs: 10_000 });
      await xclipCopy(a.xEnv, 'clipboard', 'UTF8_STRING', text);
      await grabbed;
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      const answer = sim.expect(MessageType.Clipboard, { timeoutMs: 120_000 });
      await sim.send({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text });
      const data = await answer;
      const ms = performance.now() - t0;
      if (!data.data.equals(text)) throw new Error(`arrived ${data.data.length} bytes`);
      sim.records.length = 0;
      times.push(ms);
    }
  } finally {
    await a.stop();
  }
  const sorted = [...times].sort((x, y) => x - y);
  process.stdout.write(`${who} ${mib} MiB: ${times.map((t) => t.toFixed(1)).join(' ')} | median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} min ${sorted[0]?.toFixed(1)}\n`);
}

void main();
