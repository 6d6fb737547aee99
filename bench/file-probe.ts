import { readFileSync } from 'node:fs';
import { FileXferResult } from '../src/protocol/index.js';
import { TransferClient } from '../test/support/file-xfer-client.js';
import { startSpiceVdagent, startSpiceVdagentOnSocket, startVdagent, startVdagentOnSocket, type BenchAgent } from './agents.js';
import { writeFileData } from './file-data-writer.js';

const MiB = 1024 * 1024;
/** Clock ticks per second of /proc/PID/stat's CPU times (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

/** A process's CPU time so far, user and system, in ms (all its threads). */
function cpuOf(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS };
}

/**
 * Probe (not part of `npm run bench`): 64 MiB file transfers to one fresh agent, each round printed
 * with its speed and the CPU (user/system, all threads) its daemon and session agent spent on it,
 * to see how an agent warms up. `node build/bench/file-probe.js [ours|spice] [socket|pty] rounds`.
 */
async function main(): Promise<void> {
  const [who = 'ours', port = 'socket', rounds = '6'] = process.argv.slice(2);
  const starts = { ours: { socket: startVdagentOnSocket, pty: startVdagent }, spice: { socket: startSpiceVdagentOnSocket, pty: () => startSpiceVdagent() } };
  const start = starts[who === 'spice' ? 'spice' : 'ours'][port === 'pty' ? 'pty' : 'socket'];
  const a: BenchAgent = await start();
  const client = new TransferClient(a.agent);
  try {
    await client.untilServed();
    await new Promise((r) => setTimeout(r, 2000));
    const pids = [a.agent.pid, a.helper()];
    for (let round = 0; round < Number(rounds); round++) {
      await new Promise((r) => setTimeout(r, 500));
      const before = pids.map(cpuOf);
      const t0 = performance.now();
      const { id, status } = await client.begin(`probe-${round}.bin`, 64 * MiB);
      if (status.result !== FileXferResult.CanSendData) throw new Error(`FILE_XFER_START answered ${FileXferResult[status.result]}`);
      await writeFileData(a.agent.sim, id, 64 * MiB);
      const end = await client.statusOf(id, 600_000);
      const ms = performance.now() - t0;
      if (end.result !== FileXferResult.Success) throw new Error(`the transfer ended ${FileXferResult[end.result]}`);
      a.agent.sim.records.length = 0;
      const spent = pids.map((pid, i) => {
        const now = cpuOf(pid);
        const was = before[i] as { user: number; system: number };
        return `${now.user - was.user}/${now.system - was.system}`;
      });
      process.stdout.write(`${who} ${port} round ${round}: ${((64 * MiB) / 1e6 / (ms / 1000)).toFixed(0)} MB/s; CPU ms user/system: daemon ${spent[0]}, session agent ${spent[1]}\n`);
    }
  } finally {
    await a.stop();
  }
}

void main();
