import { ClipboardSelection, ClipboardType, FileXferResult, MessageType } from '../src/protocol/index.js';
import { TransferClient } from '../test/support/file-xfer-client.js';
import { xclipCopy } from '../test/support/xclip.js';
import { spiceVdagentInstalled, startSpiceVdagent, startSpiceVdagentOnSocket, startVdagent, startVdagentOnSocket, type BenchAgent } from './agents.js';
import { writeFileData } from './file-data-writer.js';
import { ptyCeiling, ptyCeilingToHost } from './pty-ceiling.js';
import { socketCeiling } from './socket-ceiling.js';
import { memoryOf, PeakOverIdle } from './peak-memory.js';

type Add = (name: string, value: string, target: string) => void;

const MiB = 1024 * 1024;
/** Rounds of each measurement; medians are printed. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)}`;
/** A growth in MiB with its sign: memory can fall below the idle figure taken at start. */
const grew = (bytes: number): string => `${bytes < 0 ? '-' : '+'}${mib(Math.abs(bytes))}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One measurement: its duration and each process's peak memory (daemon, session agent) over its
 * idle RSS, taken once after start (what an earlier measurement left behind counts against it).
 */
export interface Sample {
  ms: number;
  growth: number[];
}

/** An agent under measurement, with the idle RSS of its daemon and session agent. */
export interface Measured {
  readonly a: BenchAgent;
  readonly client: TransferClient;
  readonly idle: number[];
  nextFile: number;
}

/** Starts an agent, waits until file-xfer is served, lets it settle and notes its idle memory. */
export async function prepare(start: () => Promise<BenchAgent>): Promise<Measured> {
  const a = await start();
  const client = new TransferClient(a.agent);
  const probe = await client.untilServed();
  if (probe.result !== FileXferResult.CanSendData && probe.result !== FileXferResult.Cancelled) throw new Error(`${a.name}: file-xfer answers ${FileXferResult[probe.result]}`);
  await sleep(2000);
  return { a, client, idle: [a.agent.pid, a.helper()].map((pid) => memoryOf(pid).rss), nextFile: 1 };
}

/** Sends a file of `size` bytes (64 KiB DATA messages of one reused block) from the client to the guest. */
export async function fileToGuest(m: Measured, size: number): Promise<Sample> {
  await sleep(1000);
  const peak = new PeakOverIdle([m.a.agent.pid, m.a.helper()], m.idle);
  const t0 = performance.now();
  const { id, status } = await m.client.begin(`bench-${m.nextFile++}.bin`, size);
  if (status.result !== FileXferResult.CanSendData) throw new Error(`${m.a.name}: FILE_XFER_START answered ${FileXferResult[status.result]}`);
  await writeFileData(m.a.agent.sim, id, size);
  const end = await m.client.statusOf(id, 600_000);
  const ms = performance.now() - t0;
  if (end.result !== FileXferResult.Success) throw new Error(`${m.a.name}: transfer ended ${FileXferResult[end.result]}`);
  m.a.agent.sim.records.length = 0;
  return { ms, growth: peak.growth() };
}

/** A guest application copies `size` bytes of text; the time from the client's request to the whole answer. */
async function clipboardToClient(m: Measured, size: number, round: number): Promise<Sample> {
  const sim = m.a.agent.sim;
  const text = Buffer.alloc(size, 0x61 + (round % 26));
  sim.consumeAll();
  const grabbed = sim.expect(MessageType.ClipboardGrab, { timeoutMs: 10_000 });
  await xclipCopy(m.a.xEnv, 'clipboard', 'UTF8_STRING', text);
  await grabbed;
  await sleep(200);
  const peak = new PeakOverIdle([m.a.agent.pid, m.a.helper()], m.idle);
  const t0 = performance.now();
  const answer = sim.expect(MessageType.Clipboard, { timeoutMs: 120_000 });
  await sim.send({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text });
  const data = await answer;
  const ms = performance.now() - t0;
  if (!data.data.equals(text)) throw new Error(`${m.a.name}: the clipboard arrived as ${data.data.length} bytes, not the ${size} copied`);
  sim.records.length = 0;
  return { ms, growth: peak.growth() };
}

/** One pty-ceiling transfer as a sample (no processes of an agent to measure). */
async function ptyCeilingSample(size: number): Promise<Sample> {
  const c = await ptyCeiling(size);
  process.stdout.write(`    pty: ${(c.bytesPerRead / 1024).toFixed(1)} KiB per read of the slave\n`);
  return { ms: c.ms, growth: [0, 0] };
}

/** One socket-ceiling transfer as a sample (no processes of an agent to measure). */
async function socketCeilingSample(size: number): Promise<Sample> {
  const c = await socketCeiling(size);
  process.stdout.write(`    socket: ${(c.bytesPerRead / 1024).toFixed(1)} KiB per read\n`);
  return { ms: c.ms, growth: [0, 0] };
}

/** The medians of samples: time, and peak growth of each process. */
function medians(samples: Sample[]): { ms: number; daemon: number; helper: number } {
  return { ms: median(samples.map((s) => s.ms)), daemon: median(samples.map((s) => s.growth[0] as number)), helper: median(samples.map((s) => s.growth[1] as number)) };
}

/** The range of a measure over the samples, "min–max", or '' for a single sample. */
function range(samples: Sample[], measure: (s: Sample) => number, digits = 0): string {
  const xs = samples.map(measure);
  return xs.length > 1 ? ` (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : '';
}

/** "× n" of ours over theirs when theirs was measured (higher is better for ours). */
function ratio(ours: number, theirs: number | undefined, higherIsBetter: boolean): string {
  if (theirs === undefined) return '';
  const r = higherIsBetter ? ours / theirs : theirs / ours;
  return ` ×${r.toFixed(2)}`;
}

/**
 * Transfers through the real daemon and session helper on a pty and Xvfb, and through Debian's
 * spice-vdagent driven the same way when installed, rounds interleaved; medians of the rounds.
 * `only` picks kinds by name: 'file 64', 'clip 1', 'clip 16' (each with the pty's own ceiling); the
 * same on a UNIX-socket port, where spice-vdagentd connects as ours does: 'socket 64', 'socket clip 1',
 * 'socket clip 16'; and ours alone: 'socket 1024', 'file 1024'.
 */
export async function transferBenchmarks(add: Add, only: (kind: string) => boolean = () => true): Promise<void> {
  const withSpice = spiceVdagentInstalled();
  if (!withSpice) process.stdout.write('    spice-vdagent is not installed (Debian package spice-vdagent): no ratios\n');
  /** Who is measured on each port: ours, and spice-vdagent where installed. */
  type Starts = [string, () => Promise<BenchAgent>][];
  const onPty: Starts = withSpice ? [['vdagent', startVdagent], ['spice-vdagent', () => startSpiceVdagent()]] : [['vdagent', startVdagent]];
  const onSocket: Starts = withSpice ? [['vdagent', startVdagentOnSocket], ['spice-vdagent', startSpiceVdagentOnSocket]] : [['vdagent', startVdagentOnSocket]];
  const agents: Measured[] = [];
  const runs = new Map<string, Sample[]>();
  const record = (key: string, s: Sample): void => void runs.set(key, [...(runs.get(key) ?? []), s]);
  const kinds: [string, Starts, (m: Measured, round: number) => Promise<Sample>][] = [
    ['file 64', onPty, (m) => fileToGuest(m, 64 * MiB)],
    ['clip 1', onPty, (m, round) => clipboardToClient(m, MiB, round)],
    ['clip 16', onPty, (m, round) => clipboardToClient(m, 16 * MiB, round)],
    ['socket 64', onSocket, (m) => fileToGuest(m, 64 * MiB)],
    ['socket clip 1', onSocket, (m, round) => clipboardToClient(m, MiB, round)],
    ['socket clip 16', onSocket, (m, round) => clipboardToClient(m, 16 * MiB, round)],
  ];
  try {
    // Each kind on fresh agents, so that one kind's leftovers are not counted in another's peak.
    for (const [kind, starts, measure] of kinds.filter(([k]) => only(k))) {
      const pair: [string, Measured][] = [];
      for (const [who, start] of starts) pair.push([who, await prepare(start)]);
      agents.push(...pair.map(([, m]) => m));
      for (let round = 0; round < ROUNDS; round++) {
        for (const [who, m] of pair) record(`${who} ${kind}`, await measure(m, round));
        if (kind === 'file 64') record('pty file 64', await ptyCeilingSample(64 * MiB));
        if (kind === 'socket 64') record('ceiling socket 64', await socketCeilingSample(64 * MiB));
        if (kind.startsWith('clip ')) record(`pty ${kind}`, { ms: await ptyCeilingToHost(Number(kind.slice(5)) * MiB), growth: [0, 0] });
      }
      for (const [, m] of pair.splice(0)) await m.a.stop();
      agents.length = 0;
    }
    const get = (who: string, what: string): ReturnType<typeof medians> | undefined => {
      const s = runs.get(`${who} ${what}`);
      return s ? medians(s) : undefined;
    };
    const spice = (what: string): ReturnType<typeof medians> | undefined => (withSpice ? get('spice-vdagent', what) : undefined);
    const file = get('vdagent', 'file 64');
    const fileSpice = spice('file 64');
    const rate = (x: { ms: number }): number => (64 * MiB) / 1e6 / (x.ms / 1000);
    if (file) {
      const samples = (who: string): Sample[] => runs.get(`${who} file 64`) ?? [];
      add(
        'file transfer client->guest 64 MiB',
        `${rate(file).toFixed(0)} MB/s${range(samples('vdagent'), rate)}${fileSpice ? ` (spice ${rate(fileSpice).toFixed(0)})${ratio(rate(file), rate(fileSpice), true)}` : ''}`,
        '>= 150 MB/s, >= ×2 spice-vdagent',
      );
      add('  peak RSS over idle: daemon, helper', `${grew(file.daemon)}, ${grew(file.helper)} MiB`, '<= +16 MiB each');
      const ceiling = get('pty', 'file 64') as ReturnType<typeof medians>;
      add('  the pty itself: host writer -> plain reader', `${rate(ceiling).toFixed(0)} MB/s${range(samples('pty'), rate)}`, '(the most any agent takes here)');
    }
    const socketFile = get('vdagent', 'socket 64');
    if (socketFile) {
      const samples = runs.get('vdagent socket 64') ?? [];
      const theirs = spice('socket 64');
      add(
        'file transfer 64 MiB, port on a UNIX socket',
        `${rate(socketFile).toFixed(0)} MB/s${range(samples, rate)}${theirs ? ` (spice ${rate(theirs).toFixed(0)})${ratio(rate(socketFile), rate(theirs), true)}` : ''}`,
        '>= 150 MB/s, >= ×2 spice-vdagent (no tty in the way)',
      );
      add('  peak RSS over idle: daemon', `${grew(socketFile.daemon)} MiB${range(samples, (s) => (s.growth[0] as number) / MiB, 1)}`, '<= +16 MiB');
      add('  helper', `${grew(socketFile.helper)} MiB${range(samples, (s) => (s.growth[1] as number) / MiB, 1)}`, '<= +16 MiB');
      const ceiling = get('ceiling', 'socket 64') as ReturnType<typeof medians>;
      add('  the socket itself: host writer -> plain reader', `${rate(ceiling).toFixed(0)} MB/s${range(runs.get('ceiling socket 64') ?? [], rate)}`, '(the most any agent takes from this writer)');
    }
    if (only('socket 1024')) {
      // On a fresh daemon: its peak over idle is the transfer's alone.
      const m = await prepare(startVdagentOnSocket);
      agents.push(m);
      const big = await fileToGuest(m, 1024 * MiB);
      await m.a.stop();
      agents.length = 0;
      add('file transfer 1 GiB on a socket: peak RSS, daemon', `${grew(big.growth[0] as number)} MiB (${((1024 * MiB) / 1e6 / (big.ms / 1000)).toFixed(0)} MB/s)`, '<= +16 MiB');
      add('  helper', `${grew(big.growth[1] as number)} MiB`, '<= +16 MiB');
    }
    for (const [port, size] of [['', 1], ['', 16], ['socket ', 1], ['socket ', 16]] as const) {
      const ours = get('vdagent', `${port}clip ${size}`);
      if (!ours) continue;
      const other = spice(`${port}clip ${size}`);
      add(
        `clipboard guest->client ${size} MiB${port ? ', port on a UNIX socket' : ''}`,
        `${ours.ms.toFixed(0)} ms${other ? ` (spice ${other.ms.toFixed(0)})${ratio(ours.ms, other.ms, false)}` : ''}`,
        '>= ×1.5 spice-vdagent',
      );
      add('  peak RSS over idle: daemon, helper', `${grew(ours.daemon)}, ${grew(ours.helper)} MiB`, `<= +${2 * size} MiB each (2 × payload)`);
      const ceiling = get('pty', `clip ${size}`);
      if (ceiling && !port) add('  the pty itself: one blocking write -> the reader', `${ceiling.ms.toFixed(0)} ms`, '(the least any agent takes here)');
      if (other) process.stdout.write(`${''.padEnd(4)}spice-vdagent: ${grew(other.daemon)}, ${grew(other.helper)} MiB\n`);
    }
    if (fileSpice) process.stdout.write(`${''.padEnd(4)}spice-vdagent file 64 MiB peak RSS over idle: ${grew(fileSpice.daemon)}, ${grew(fileSpice.helper)} MiB\n`);
    if (!only('file 1024')) return;
    // On a fresh daemon: its peak over idle is the transfer's alone.
    const fresh = await prepare(startVdagent);
    agents.push(fresh);
    const big = await fileToGuest(fresh, 1024 * MiB);
    add('file transfer 1 GiB: peak RSS over idle, daemon', `${grew(big.growth[0] as number)} MiB (${((1024 * MiB) / 1e6 / (big.ms / 1000)).toFixed(0)} MB/s)`, '<= +16 MiB');
    add('  helper', `${grew(big.growth[1] as number)} MiB`, '<= +16 MiB');
  } finally {
    for (const m of agents) await m.a.stop();
  }
}
