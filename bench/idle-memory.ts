import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spiceVdagentInstalled, startSpiceVdagent, startVdagent, type BenchAgent } from './agents.js';
import { uniqueResidentBytes } from './resident-pages.js';

type Add = (name: string, value: string, target: string) => void;

/** Agents started for each side; medians are printed. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** How often a settling process is read. */
const SAMPLE_MS = 250;
/** A process counts as settled once its RSS stayed within STEADY_BYTES for STEADY_MS... */
const STEADY_MS = 3000;
const STEADY_BYTES = 256 * 1024;
/** ...and no earlier than this after start: V8 shrinks its heaps after some seconds of idleness. */
const MIN_SETTLE_MS = 12_000;
/** Beyond this, whatever it holds is its idle memory. */
const MAX_SETTLE_MS = 30_000;

const MB = 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A process's resident set (RSS), proportional set size (PSS: each shared page divided among the
 * processes mapping it) and anonymous memory (heaps, stacks: its own, whoever else runs), in bytes.
 */
export interface Footprint {
  rss: number;
  pss: number;
  anon: number;
}

/** RSS and PSS of a process from /proc/PID/smaps_rollup. */
export function footprintOf(pid: number): Footprint {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('Rss'), pss: kb('Pss'), anon: kb('Anonymous') };
}

/**
 * Waits until the processes' RSS stopped moving (after V8 gave its start-up garbage back), then
 * returns each one's footprint: the median of the last second's readings.
 */
export async function settledFootprints(pids: readonly number[]): Promise<Footprint[]> {
  const t0 = Date.now();
  const history: Footprint[][] = [];
  for (;;) {
    history.push(pids.map(footprintOf));
    const window = history.slice(-Math.ceil(STEADY_MS / SAMPLE_MS));
    const elapsed = Date.now() - t0;
    const steady = pids.every((_, i) => {
      const rss = window.map((f) => (f[i] as Footprint).rss);
      return Math.max(...rss) - Math.min(...rss) <= STEADY_BYTES;
    });
    if ((elapsed >= MIN_SETTLE_MS && steady) || elapsed >= MAX_SETTLE_MS) break;
    await sleep(SAMPLE_MS);
  }
  const last = history.slice(-Math.ceil(1000 / SAMPLE_MS));
  const of = (i: number, field: keyof Footprint): number => median(last.map((f) => (f[i] as Footprint)[field]));
  return pids.map((_, i) => ({ rss: of(i, 'rss'), pss: of(i, 'pss'), anon: of(i, 'anon') }));
}

/** An agent's two processes, settled: each one's footprint (daemon, session agent) and their pages counted once. */
export interface AgentFootprint {
  each: Footprint[];
  /** What the two occupy together ({@link uniqueResidentBytes}; undefined without root). */
  together: number | undefined;
}

/** Starts an agent, lets both its processes settle and returns their footprints. */
export async function idleFootprints(start: () => Promise<BenchAgent>): Promise<AgentFootprint> {
  const a = await start();
  try {
    const pids = [a.agent.pid, a.helper()];
    const each = await settledFootprints(pids);
    return { each, together: uniqueResidentBytes(pids) };
  } finally {
    await a.stop();
  }
}

const mb = (bytes: number): string => (bytes / MB).toFixed(1);

/**
 * Idle memory of our daemon and session helper on a pty and Xvfb (on a private copy of Node), and
 * of spice-vdagentd + spice-vdagent in the same run when installed (agents started in turn);
 * medians of the rounds.
 */
export async function idleMemoryBenchmarks(add: Add): Promise<void> {
  const withSpice = spiceVdagentInstalled();
  const ours: AgentFootprint[] = [];
  const theirs: AgentFootprint[] = [];
  // Our two run on a copy of this Node binary: its pages are then shared by them alone, as on a
  // guest where no other Node program runs. On this one, the bench itself and npm map the same
  // binary, and the pair's PSS was 48–55 MB instead of 68 (2026-12-06, sixth session).
  const dir = mkdtempSync(join(tmpdir(), 'bench-node-'));
  chmodSync(dir, 0o755);
  const node = join(dir, 'node');
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await idleFootprints(() => startVdagent(node)));
      if (withSpice) theirs.push(await idleFootprints(startSpiceVdagent));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const of = (runs: AgentFootprint[], i: number, field: keyof Footprint): number => median(runs.map((r) => (r.each[i] as Footprint)[field]));
  const pssSum = (runs: AgentFootprint[]): number => median(runs.map((r) => r.each.reduce((s, f) => s + f.pss, 0)));
  const together = (runs: AgentFootprint[]): number => median(runs.map((r) => r.together ?? NaN));
  const detail = (runs: AgentFootprint[], i: number): string => `RSS ${mb(of(runs, i, 'rss'))}, PSS ${mb(of(runs, i, 'pss'))}, anonymous ${mb(of(runs, i, 'anon'))} MB`;
  add('idle RSS, daemon (settled)', `${mb(of(ours, 0, 'rss'))} MB`, '<= 45 MB');
  add('idle RSS, session helper (settled)', `${mb(of(ours, 1, 'rss'))} MB`, '<= 45 MB');
  const spice = withSpice ? ` (spice ${mb(pssSum(theirs))}) ×${(pssSum(theirs) / pssSum(ours)).toFixed(2)}` : '';
  add('idle PSS, daemon + helper (Node shared by the two alone)', `${mb(pssSum(ours))} MB${spice}`, withSpice ? '<= spice-vdagentd + spice-vdagent' : '<= spice-vdagent (not installed)');
  // PSS divides shared pages (Node's own code, most of a Node process's RSS) among every process
  // mapping them: it moves with whatever else runs (spice-vdagent's libraries are shared with
  // whatever else here maps them). Pages counted once within each pair, and in full, do not.
  const spiceTogether = withSpice ? ` (spice ${mb(together(theirs))}) ×${(together(theirs) / together(ours)).toFixed(2)}` : '';
  add('idle pages of daemon + helper, each counted once', `${mb(together(ours))} MB${spiceTogether}`, withSpice ? '<= spice-vdagentd + spice-vdagent' : 'reported');
  process.stdout.write(`    daemon ${detail(ours, 0)}; helper ${detail(ours, 1)}\n`);
  if (withSpice) process.stdout.write(`    spice-vdagentd ${detail(theirs, 0)}; spice-vdagent ${detail(theirs, 1)}\n`);
}
