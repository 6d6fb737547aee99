import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { startBusDaemon, type BusDaemon } from '../support/dbus-daemon.js';
import type { FakeLogind } from '../support/fake-logind.js';
import { startFakeUserManager } from '../support/fake-user-manager.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { startHostileBus, type HostileBehaviour, type HostileBus } from '../support/hostile-bus.js';
import { expectBothPortsServed } from '../support/ports-served.js';
import { helperPid } from '../support/proc.js';
import { openQgaPty, type QgaPty } from '../support/qga-harness.js';
import { startSeat, type Seat } from '../support/seat.js';
import type { TestUser } from '../support/test-user.js';

const USER = 'vdagent-env';

/** What dbus-next, run as root, says when it authenticates: the old daemon's way to the user's bus. */
const ROOT_AUTH = 'AUTH EXTERNAL 30';

/** The variables of a process's environment, by name. */
function environOf(pid: number): Record<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

/** The command names of a user's processes. */
function processesOf(uid: number): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid ? [/^Name:\s+(.*)$/m.exec(status)?.[1] ?? ''] : [];
      } catch {
        return []; // ended meanwhile
      }
    });
}

describe.runIf(process.getuid?.() === 0)('the session environment, read as the session user from what the user controls', () => {
  let root: string;
  let runtime: string;
  let events: string;
  let bus: BusDaemon;
  let logind: FakeLogind;
  let user: TestUser;
  let seat: Seat;
  let qga: QgaPty;
  let agent: Harness;
  let hostile: HostileBus | undefined;
  let nextSession = 1;

  /** Puts a new graphical session of the test user in front of seat0. */
  const activate = (leader = 0): void => {
    const id = String(nextSession++);
    logind.add({ id, user: USER, uid: user.uid, gid: user.gid, display: ':7', runtimePath: runtime, leader });
    logind.activate(id);
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hostile-bus-'));
    chmodSync(root, 0o755);
    ({ bus, logind, user } = seat = await startSeat(root, USER));
    runtime = join(root, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    chownSync(runtime, user.uid, user.gid);
  });

  afterAll(async () => {
    await seat.stop();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const actionsDir = makeActionsDir(mkdtempSync(join(root, 'actions-')), { 'file-xfer': '', mouse: '' });
    events = join(root, `events-${nextSession}`);
    qga = await openQgaPty();
    agent = await startPtyHarness({
      actionsDirs: [actionsDir],
      session: 'auto',
      env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address },
      extraArgs: ['--qga-port', qga.path, '--fake-uinput', events],
    });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    await qga.client.sync();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    await agent.stop();
    await qga.close();
    logind.clear();
    await hostile?.stop();
    hostile = undefined;
    rmSync(join(runtime, 'bus'), { force: true });
  });

  it.each<[HostileBehaviour, string]>([
    ['huge', 'declares a 2 GiB message'],
    ['garbage', 'sends garbage after authenticating'],
    ['silent', 'accepts and never answers'],
  ])('a user bus that %s (%s): both ports stay served and one helper serves with what logind said', async (behaviour) => {
    hostile = await startHostileBus(join(runtime, 'bus'), behaviour, user);
    activate();
    const helpers = new Set<number>();
    const watch = setInterval(() => {
      const pid = helperPid(agent.pid);
      if (pid) helpers.add(pid);
    }, 20);
    try {
      expect((await new TransferClient(agent).untilServed()).result).toBe(FileXferResult.CanSendData);
    } finally {
      clearInterval(watch);
    }
    // Not one helper crashed on the way: the one serving is the only one there was.
    const pid = helperPid(agent.pid) as number;
    expect([...helpers, pid].every((p) => p === pid)).toBe(true);
    expect(environOf(pid)).toMatchObject({ DISPLAY: ':7', XDG_RUNTIME_DIR: runtime });
    expect(agent.logs()).toContain('session environment: DISPLAY, XDG_RUNTIME_DIR from logind\n');
    // The bus was asked (by the helper's busctl, as the user), never by anything authenticating as root.
    expect(hostile.clients.length).toBeGreaterThan(0);
    expect(hostile.clients.flat()).not.toContain(ROOT_AUTH);
    await expectBothPortsServed(agent, qga, events);
  });

  it('a user bus that never answers, and the session ends meanwhile: the helper ends and leaves no busctl behind', async () => {
    hostile = await startHostileBus(join(runtime, 'bus'), 'silent', user);
    activate();
    await expect.poll(() => hostile?.clients.length, { timeout: 5000 }).toBe(1);
    expect(processesOf(user.uid)).toContain('busctl');
    logind.clear();
    await expect.poll(() => processesOf(user.uid), { timeout: 5000 }).toEqual([]);
    await expectBothPortsServed(agent, qga, events);
  });

  describe('a well-behaved session', () => {
    let userBus: BusDaemon | undefined;
    let leaders: ChildProcess[] = [];

    afterEach(async () => {
      for (const l of leaders) l.kill();
      leaders = [];
      await userBus?.stop();
      userBus = undefined;
    });

    it('completes the environment from the user manager, then from a leader of the same user; a root leader is not read', async () => {
      userBus = await startBusDaemon(join(runtime, 'bus'), 'session');
      const manager = await startFakeUserManager(userBus.address, ['XAUTHORITY=/manager/Xauthority', 'DISPLAY=:manager']);
      try {
        const ownLeader = spawn('sleep', ['60'], { uid: user.uid, gid: user.gid, env: { WAYLAND_DISPLAY: 'wayland-leader', XAUTHORITY: '/leader/Xauthority' }, stdio: 'ignore' });
        const rootLeader = spawn('sleep', ['60'], { env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/root/leader/bus', WAYLAND_DISPLAY: 'wayland-root' }, stdio: 'ignore' });
        leaders.push(ownLeader, rootLeader);

        // A helper's own completions do not show in /proc/PID/environ: it names their sources.
        activate(ownLeader.pid);
        await new TransferClient(agent).untilServed();
        await expect.poll(() => agent.logs(), { timeout: 5000 }).toContain(
          `session environment: DISPLAY, XDG_RUNTIME_DIR from logind; XAUTHORITY from the user manager; WAYLAND_DISPLAY from leader ${ownLeader.pid}`,
        );

        activate(rootLeader.pid);
        await expect.poll(() => agent.logs(), { timeout: 5000 }).toContain('session environment: DISPLAY, XDG_RUNTIME_DIR from logind; XAUTHORITY from the user manager\n');
        await new TransferClient(agent).untilServed();
        await expectBothPortsServed(agent, qga, events);
      } finally {
        manager.disconnect();
      }
    });
  });
});
