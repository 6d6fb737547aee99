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
  const add = (name: string, value: string, target: string): void => {
    rows.push([name, value, target]);
    process.stdout.write(`${name.padEnd(52)} ${value.padStart(18)}   target ${target}\n`);
  };
  await decodeThroughput(add);
  await daemonBenchmarks(add);
  await idleMemoryBenchmarks(add);
  await mouseBenchmarks(add);
  await transferBenchmarks(add);
  await hostileBenchmarks(add);
  await reconnectBenchmarks(add);
}

void main();
