import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageBus } from 'dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../support/log.js';
import { completeEnvironment, logindEnvironment } from '../../../src/session/environment.js';
import { startBusDaemon, type BusDaemon } from '../../support/dbus-daemon.js';
import { startFakeUserManager } from '../../support/fake-user-manager.js';

describe('the session environment', () => {
  const log = memoryLogger().log;
  let runtime: string;
  let userBus: BusDaemon;
  let systemd: MessageBus;
  let leader: ChildProcess;

  beforeAll(async () => {
    runtime = mkdtempSync(join(tmpdir(), 'runtime-'));
    userBus = await startBusDaemon(join(runtime, 'bus'), 'session');
    systemd = await startFakeUserManager(userBus.address, ['DISPLAY=:systemd', 'XAUTHORITY=/systemd/Xauthority', 'SWAYSOCK=/systemd/sway-ipc.sock', 'DBUS_SESSION_BUS_ADDRESS=unix:path=/systemd/bus', 'NOT_WANTED=1']);
    leader = spawn('sleep', ['60'], { env: { DISPLAY: ':leader', XAUTHORITY: '/leader/Xauthority', WAYLAND_DISPLAY: 'wayland-leader' }, stdio: 'ignore' });
  });

  afterAll(async () => {
    leader.kill();
    systemd.disconnect();
    await userBus.stop();
    rmSync(runtime, { recursive: true, force: true });
  });

  it('keeps what logind says: the X11 display and the runtime directory', () => {
    expect(logindEnvironment({ display: ':5', runtimePath: runtime })).toEqual({ DISPLAY: ':5', XDG_RUNTIME_DIR: runtime });
    expect(logindEnvironment({ display: '', runtimePath: '' })).toEqual({});
  });

  it('completes each variable logind left out from the user manager, else the session leader', async () => {
    const env = await completeEnvironment({ DISPLAY: ':5', XDG_RUNTIME_DIR: runtime, HOME: '/not/a/session/variable' }, leader.pid as number, log);
    expect(env).toEqual({
      DISPLAY: ':5',
      XDG_RUNTIME_DIR: runtime,
      XAUTHORITY: '/systemd/Xauthority',
      SWAYSOCK: '/systemd/sway-ipc.sock',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/systemd/bus',
      WAYLAND_DISPLAY: 'wayland-leader',
    });
  });

  it('goes on without the sources it cannot read', async () => {
    const nowhere = join(runtime, 'missing');
    expect(await completeEnvironment({ XDG_RUNTIME_DIR: nowhere }, 0, log)).toEqual({ XDG_RUNTIME_DIR: nowhere });
    expect(await completeEnvironment({}, leader.pid as number, log)).toEqual({ DISPLAY: ':leader', XAUTHORITY: '/leader/Xauthority', WAYLAND_DISPLAY: 'wayland-leader' });
  });
});
