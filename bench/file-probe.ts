import { cpuTicks } from '../test/support/proc.js';
import { startSpiceVdagent, startSpiceVdagentOnSocket, startVdagent, startVdagentOnSocket } from './agents.js';
import { fileToGuest, prepare } from './transfers.js';

const MiB = 1024 * 1024;

/**
 * Probe (not part of `npm run bench`): 64 MiB file transfers to one fresh agent, each round printed
 * with its speed, the CPU its daemon and session agent spent on it (all threads) and their peaks
 * over idle, to see how an agent warms up. `node build/bench/file-probe.js [ours|spice] [socket|pty] rounds`.
 */
async function main(): Promise<void> {
  const [who = 'ours', port = 'socket', rounds = '6'] = process.argv.slice(2);
  const starts = { ours: { socket: startVdagentOnSocket, pty: () => startVdagent() }, spice: { socket: startSpiceVdagentOnSocket, pty: () => startSpiceVdagent() } };
  const m = await prepare(starts[who === 'spice' ? 'spice' : 'ours'][port === 'pty' ? 'pty' : 'socket']);
  try {
    const pids = [m.a.agent.pid, m.a.helper()];
    for (let round = 0; round < Number(rounds); round++) {
      const before = pids.map(cpuTicks);
      const s = await fileToGuest(m, 64 * MiB);
      const cpu = pids.map((pid, i) => 10 * (cpuTicks(pid) - (before[i] as number)));
      const peaks = s.growth.map((g) => `+${(g / MiB).toFixed(1)}`);
      process.stdout.write(`${who} ${port} round ${round}: ${((64 * MiB) / 1e6 / (s.ms / 1000)).toFixed(0)} MB/s; CPU ms daemon ${cpu[0]}, session agent ${cpu[1]}; peak over idle ${peaks.join(', ')} MiB\n`);
    }
  } finally {
    await m.a.stop();
  }
}

void main();
