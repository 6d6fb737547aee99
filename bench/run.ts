import { decodeThroughput } from './decode-throughput.js';
import { daemonBenchmarks } from './daemon.js';
import { hostileBenchmarks } from './hostile.js';
import { idleMemoryBenchmarks } from './idle-memory.js';
import { mouseBenchmarks } from './mouse.js';
import { reconnectBenchmarks } from './reconnect.js';
import { transferBenchmarks } from './transfers.js';

type Add = (name: string, value: string, target: string) => void;

/** The groups of measurements, in the order they run, by the name that selects them. */
const GROUPS: [string, (add: Add, only: (kind: string) => boolean) => Promise<void>][] = [
  ['decode', decodeThroughput],
  ['daemon', daemonBenchmarks],
  ['idle', idleMemoryBenchmarks],
  ['mouse', mouseBenchmarks],
  ['transfers', transferBenchmarks],
  ['hostile', hostileBenchmarks],
  ['reconnect', reconnectBenchmarks],
];

/**
 * `npm run bench [-- GROUP[:KIND]...]`: prints each measurement against its target; asserts
 * nothing. With arguments, only the groups named run, and of a group named with `:KIND`, only the
 * kinds whose name contains KIND (e.g. `transfers:clip` for the clipboard transfers alone).
 */
async function main(): Promise<void> {
  const selected = process.argv.slice(2).map((a) => a.split(':') as [string, string?]);
  const unknown = selected.filter(([g]) => !GROUPS.some(([name]) => name === g));
  if (unknown.length > 0) throw new Error(`unknown benchmark group ${unknown.map(([g]) => g).join(', ')}; groups: ${GROUPS.map(([g]) => g).join(', ')}`);
  const add: Add = (name, value, target) => process.stdout.write(`${name.padEnd(52)} ${value.padStart(18)}   target ${target}\n`);
  for (const [name, run] of GROUPS) {
    const kinds = selected.filter(([g]) => g === name).map(([, kind]) => kind);
    if (selected.length > 0 && kinds.length === 0) continue;
    await run(add, (kind) => kinds.length === 0 || kinds.some((k) => k === undefined || kind.includes(k)));
  }
}

void main();
