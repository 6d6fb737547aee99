import { decodeThroughput } from './decode-throughput.js';
import { daemonBenchmarks } from './daemon.js';
import { hostileBenchmarks } from './hostile.js';
import { idleMemoryBenchmarks } from './idle-memory.js';
import { mouseBenchmarks } from './mouse.js';
import { reconnectBenchmarks } from './reconnect.js';
import { transferBenchmarks } from './transfers.js';

/** `npm run bench`: prints each measurement against its target; asserts nothing. */
async function main(): Promise<void> {
  const rows: [string, string, string][] = [];
  const addRow = (name: string, value: string, target: string): void => {
    rows.push([name, value, target]);
    process.stdout.write(`${name.padEnd(52)} ${value.padStart(18)}   target ${target}\n`);
  };
  const groups: [string, (add: typeof addRow) => Promise<void>][] = [
    ['decode', decodeThroughput],
    ['daemon', daemonBenchmarks],
    ['idle', idleMemoryBenchmarks],
    ['mouse', mouseBenchmarks],
    ['transfers', transferBenchmarks],
    ['hostile', hostileBenchmarks],
    ['reconnect', reconnectBenchmarks],
  ];
  // BENCH_ONLY=transfers,mouse runs only those groups (all by default).
  const only = process.env.BENCH_ONLY?.split(',');
  for (const [name, run] of groups) if (!only || only.includes(name)) await run(addRow);
}

void main();
