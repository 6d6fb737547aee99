import { readdirSync, readFileSync } from 'node:fs';
import { MessageType, toChunks, NO_PEER } from '../src/protocol/index.js';
import { startPtyHarness } from '../test/support/harness.js';
import { SHIPPED_CLI } from './agents.js';
import { cpuTicks } from '../test/support/proc.js';

type Add = (name: string, value: string, target: string) => void;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** CPU time a process has run so far, all its threads, in ms (/proc/PID/task/TID/schedstat, nanoseconds). */
function cpuMs(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6, 0);
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Measurements of the real daemon process on a pty. */
export async function daemonBenchmarks(add: Add): Promise<void> {
  // Start-up: process spawn to the first ANNOUNCE on the port.
  // The daemon's CPU time by then depends less on the machine's load than the time does.
  const startups: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const h = await startPtyHarness({ cli: SHIPPED_CLI });
    await h.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 10_000 });
    startups.push(performance.now() - t0);
    cpu.push(cpuMs(h.pid));
    await h.stop();
  }
  add('process start -> first ANNOUNCE (median of 5)', `${median(startups).toFixed(0)} ms`, '<= 150 ms');
  add('  its CPU time by then, all threads (median of 5)', `${median(cpu).toFixed(0)} ms`, 'reported');

  const h = await startPtyHarness({ cli: SHIPPED_CLI });
  await h.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 10_000 });
  await sleep(1000);
  const c0 = cpuTicks(h.pid);
  await sleep(5000);
  add('CPU used while idle for 5 s', `${(cpuTicks(h.pid) - c0) * 10} ms`, '0 ms');
  // V8 gives memory back after some seconds of idleness: idle means settled.
  await sleep(5000);
  add('RSS idle (11 s after the handshake)', `${(h.rss() / 1048576).toFixed(1)} MB`, '<= 60 MB');

  // MOUSE_STATE through the daemon: 100,000 messages, then a request whose answer marks the end.
  const n = 100_000;
  const one = Buffer.concat(toChunks({ type: MessageType.MouseState, x: 100, y: 200, buttons: 0, displayId: 0 }, NO_PEER, 2));
  const all = Buffer.concat(Array.from({ length: n }, () => one));
  h.sim.consumeAll();
  const t0 = performance.now();
  await h.sim.sendRaw(all);
  h.sim.connect();
  await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 120_000 });
  const s = (performance.now() - t0) / 1000;
  add('MOUSE_STATE through the daemon on a pty (100,000)', `${Math.round(n / s).toLocaleString('en')} msg/s`, 'reported');
  await h.stop();
}
