import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType } from '../../src/protocol/index.js';
import { CharDevicePort } from '../../src/transport/chardev-port.js';
import { openPtyPair } from '../../src/transport/pty.js';
import { makeActionsDir } from './actions-dir.js';
import { startPtyHarness, type Harness } from './harness.js';
import { helperPid } from './proc.js';
import { QgaClient } from './qga-client.js';
import { daemonTreeRss } from './rss-sampler.js';
import { startXvfb, type XServer } from './x-server.js';

/**
 * The modules of a desktop guest, and of the guest agent only `info` (it only reads): a fuzzer
 * or a hostile host reaches nothing that changes the guest beyond a temporary home.
 */
export const DESKTOP_ACTIONS: Record<string, string> = { clipboard: '', 'file-xfer': '', 'graphics-device-info': '', mouse: 'layout = 1024x768+0+0\n', resolution: '', info: '' };

/** The real daemon with its session helper on Xvfb, its SPICE port and its guest-agent port on ptys. */
export interface DesktopDaemon {
  /** The SPICE side: the client simulator on the master of the agent's port. */
  agent: Harness;
  /** The host side of the guest-agent port. */
  qga: QgaClient;
  /** The file the daemon writes input events to (`--fake-uinput`). */
  events: string;
  /** The home folder of the helper, where transferred files land. */
  home: string;
  /** The environment of an X client on the helper's display. */
  xEnv: Record<string, string>;
  /** The session helper's process id, once it runs. */
  helper(): number | undefined;
  /** Resident memory of the daemon and its helper, in bytes. */
  rss: () => number;
  /** Whether the daemon process still runs (not exited, not a zombie). */
  running(): boolean;
  stop(): Promise<void>;
}

/** How to start a desktop daemon. */
export interface DesktopDaemonOptions {
  /** actions.d entries (default DESKTOP_ACTIONS). */
  actions?: Record<string, string>;
  /** More `vdagent daemon` arguments. */
  extraArgs?: string[];
  /** The SPICE port is a UNIX socket instead of a pty (the harness's `socketPort`). */
  socketPort?: boolean;
  /** The program's entry script (the harness's `cli`). */
  cli?: string;
  /** The Node binary daemon and helper run on (the harness's `node`). */
  node?: string;
  /** Environment added to the daemon's (and so its helper's), e.g. a PATH with stand-in tools first. */
  env?: NodeJS.ProcessEnv;
}

/** Whether a process exists and has not exited (a zombie has). */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Starts Xvfb and `vdagent daemon --session current` (the helper runs as this user, on that
 * display, with a temporary HOME), waits for its first announcement and for its helper.
 */
export async function startDesktopDaemon(options: DesktopDaemonOptions = {}): Promise<DesktopDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'desktop-daemon-'));
  chmodSync(dir, 0o755);
  const home = join(dir, 'home');
  mkdirSync(home);
  const events = join(dir, 'events');
  const actions = makeActionsDir(dir, options.actions ?? DESKTOP_ACTIONS);
  const x: XServer = await startXvfb();
  const qgaPty = openPtyPair();
  const qgaPort = CharDevicePort.fromFd(qgaPty.masterFd, 'qga master');
  await qgaPort.open();
  let agent: Harness | undefined;
  const stop = async (): Promise<void> => {
    await agent?.stop();
    await qgaPort.close();
    qgaPty.close();
    await x.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    agent = await startPtyHarness({
      actionsDirs: [actions],
      session: 'current',
      socketPort: options.socketPort,
      cli: options.cli,
      node: options.node,
      extraArgs: ['--fake-uinput', events, '--qga-port', qgaPty.slavePath, ...(options.extraArgs ?? [])],
      env: { ...x.env, ...options.env, HOME: home, XDG_CONFIG_HOME: undefined, WAYLAND_DISPLAY: undefined },
    });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
    const started = agent;
    const deadline = Date.now() + 10_000;
    while (helperPid(started.pid) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const qga = new QgaClient(qgaPort);
    await qga.sync();
    return { agent: started, qga, events, home, xEnv: x.env, helper: () => helperPid(started.pid), rss: () => daemonTreeRss(started.pid), running: () => isRunning(started.pid), stop };
  } catch (err) {
    const log = agent?.logs() ?? '';
    await stop();
    throw new Error(`${(err as Error).message}; daemon log:\n${log}`);
  }
}

/** Stops `d` after a test; when the test failed, first writes the end of its daemon's log to stderr. */
export async function stopAfterTest(d: DesktopDaemon, failed: boolean): Promise<void> {
  if (failed) process.stderr.write(`--- daemon log ---\n${d.agent.logs().slice(-6000)}\n`);
  await d.stop();
}
