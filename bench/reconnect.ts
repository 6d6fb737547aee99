import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType, NO_PEER, toChunks } from '../src/protocol/index.js';
import type { ClientSimulator } from '../src/sim/simulator.js';
import { CharDevicePort } from '../src/transport/chardev-port.js';
import { startPtyHarness } from '../test/support/harness.js';
import { ReplugPort } from '../test/support/replug-port.js';
import { SHIPPED_CLI, spiceVdagentInstalled, startSpiceVdagent } from './agents.js';

type Add = (name: string, value: string, target: string) => void;

const CYCLES = 20;
const TARGET = '<= 100 ms';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const figure = (xs: number[]): string => `${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)} ms`;

/** A new client on an open port: its request=1 announce sent -> the agent's answer received (after one unmeasured). */
async function clientReconnects(sim: ClientSimulator): Promise<number[]> {
  const times: number[] = [];
  for (let i = -1; i < CYCLES; i++) {
    sim.consumeAll();
    const t0 = performance.now();
    sim.connect();
    await sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 10_000 });
    if (i >= 0) times.push(performance.now() - t0);
    await sleep(50);
  }
  return times;
}

/** Resolves once process `pid` holds `path` open (looked up in /proc every millisecond: the bench's own polling). */
async function holds(pid: number, path: string): Promise<void> {
  const fdDir = `/proc/${pid}/fd`;
  for (;;) {
    for (const fd of fs.readdirSync(fdDir)) {
      try {
        if (fs.readlinkSync(join(fdDir, fd)) === path) return;
      } catch {
        // closed meanwhile
      }
    }
    await sleep(1);
  }
}

/**
 * The port re-plugged (the node re-pointed at a new device, the old one hung up) -> the agent
 * holding the new device open, and (`announces`) its request=1 announce on it; then a client
 * announces and is answered, so that the port has served before the next round.
 */
async function replugs(port: ReplugPort, pid: number, announces: boolean): Promise<{ open: number[]; announce: number[] }> {
  const open: number[] = [];
  const announce: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const t0 = performance.now();
    await port.replug();
    await holds(pid, fs.realpathSync(port.path));
    open.push(performance.now() - t0);
    if (announces) {
      await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
      announce.push(performance.now() - t0);
    }
    port.sim.connect();
    await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 10_000 });
    await sleep(50);
  }
  return { open, announce };
}

/** Runs `body` with a port that can be re-plugged, in a folder of its own. */
async function withReplugPort(body: (port: ReplugPort) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(join(tmpdir(), 'reconnect-bench-'));
  fs.chmodSync(dir, 0o755);
  const port = await ReplugPort.create(dir);
  try {
    await body(port);
  } finally {
    await port.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The host side of a character device away for `awayMs`, then back with a client's announce:
 * a CharDevicePort on a FIFO's read end (no writer: reads return 0 bytes and poll reports HUP
 * all along, as on a virtio port whose host is absent) -> the bytes read. Also how often the port
 * tried to read while the host was away, once it settled (counted on fs.readSync, which the
 * port's reads go through): 0 means no polling; the old back-off read 5 times in 2.5 s.
 */
async function hostReturns(awayMs: number): Promise<{ times: number[]; readsAway: number }> {
  const dir = fs.mkdtempSync(join(tmpdir(), 'reconnect-bench-'));
  const path = join(dir, 'port');
  execFileSync('mkfifo', [path]);
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const announce = Buffer.concat(toChunks({ type: MessageType.AnnounceCapabilities, request: true, caps: NO_PEER.peerCaps }, NO_PEER));
  const times: number[] = [];
  let readsAway = 0;
  const readSync = fs.readSync;
  let reads = 0;
  fs.readSync = ((...args: Parameters<typeof readSync>) => {
    reads++;
    return readSync(...args);
  }) as typeof readSync;
  try {
    for (let i = 0; i < 5; i++) {
      const port = CharDevicePort.fromFd(fd, 'fifo');
      await port.open();
      await sleep(200); // settled: the host found absent, the wake-up watch made
      const before = reads;
      await sleep(awayMs);
      readsAway += reads - before;
      const got = new Promise<void>((resolve) => port.once('data', () => resolve()));
      const t0 = performance.now();
      const host = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      fs.writeSync(host, announce);
      await got;
      times.push(performance.now() - t0);
      await port.close();
      fs.closeSync(host);
      // Drain what is left so the next round starts with the host away and nothing to read.
      try {
        fs.readSync(fd, Buffer.alloc(4096));
      } catch {
        // EAGAIN: nothing left
      }
    }
  } finally {
    fs.readSync = readSync;
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { times, readsAway };
}

/** Reconnect latency on each path (median / max of the runs), beside spice-vdagent where it can be driven the same way. */
export async function reconnectBenchmarks(add: Add): Promise<void> {
  const h = await startPtyHarness({ cli: SHIPPED_CLI });
  await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
  add(`client reconnect -> answer, vdagent (median / max of ${CYCLES})`, figure(await clientReconnects(h.sim)), TARGET);
  await h.stop();

  await withReplugPort(async (port) => {
    const agent = await startPtyHarness({ extraArgs: ['--port', port.path], cli: SHIPPED_CLI });
    await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
    port.sim.connect();
    await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 10_000 });
    const ours = await replugs(port, agent.pid, true);
    add(`port re-plug -> port reopened, vdagent (median / max of ${CYCLES})`, figure(ours.open), TARGET);
    add(`port re-plug -> announce, vdagent (median / max of ${CYCLES})`, figure(ours.announce), TARGET);
    await agent.stop();
  });

  const away = await hostReturns(2500);
  add('host side back after 2.5 s -> first bytes read (median / max of 5)', figure(away.times), TARGET);
  add('reads while the host side is away (5 x 2.5 s)', String(away.readsAway), '0 (no polling)');

  if (!spiceVdagentInstalled()) {
    add('client reconnect / port re-plug, spice-vdagent', 'not installed', 'reported');
    return;
  }
  const spiceOnPty = await startSpiceVdagent();
  add(`client reconnect -> answer, spice-vdagent (median / max of ${CYCLES})`, figure(await clientReconnects(spiceOnPty.agent.sim)), 'reported');
  await spiceOnPty.stop();
  await withReplugPort(async (port) => {
    const spice = await startSpiceVdagent(port);
    port.sim.connect();
    await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 10_000 });
    const theirs = await replugs(port, spice.agent.pid, false);
    add(`port re-plug -> port reopened, spice-vdagent (median / max of ${CYCLES})`, figure(theirs.open), 'reported');
    // spice-vdagentd reopens a hung-up port at once but announces only when a session agent connects.
    add('port re-plug -> announce, spice-vdagent', 'none: waits for the client', 'reported');
    await spice.stop();
  });
}
