import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kernelSupports, suspend, type SuspendSystem } from '../../../../src/actions/admin/suspend.js';
import { QgaErrorCode } from '../../../../src/qga/index.js';
import { memoryLogger } from '../../../support/log.js';

describe('guest-suspend-*: the way chosen, as qemu-ga chooses it (programs and /sys/power/state in a temporary directory)', () => {
  let dir: string;
  let sys: SuspendSystem;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'suspend-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'power'));
    sys = { powerDir: join(dir, 'power'), searchPath: join(dir, 'bin') };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A program that logs its name and arguments, then exits with the status given for its first argument (or `other`). */
  const program = (name: string, statuses: Record<string, number>, other = 0): void => {
    const cases = Object.entries(statuses).map(([arg, code]) => `  ${arg}) exit ${code} ;;\n`).join('');
    writeFileSync(join(dir, 'bin', name), `#!/bin/sh\necho "${name} $*" >> "${dir}/calls"\ncase "$1" in\n${cases}  *) exit ${other} ;;\nesac\n`);
    chmodSync(join(dir, 'bin', name), 0o755);
  };
  const calls = (): string[] => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').map((l) => l.trim()) : []);
  const kernelOffers = (text: string): void => writeFileSync(join(dir, 'power', 'state'), text);
  /** What /sys/power/state holds now; the word goes in at offset 0 without truncating, as into the sysfs attribute. */
  const written = (): string => readFileSync(join(dir, 'power', 'state'), 'utf8');

  it('asks systemd when `systemctl status` knows the unit (LSB 1 to 3), and goes no further once it succeeds', async () => {
    program('systemctl', { status: 3 });
    program('pm-is-supported', {});
    await suspend('ram', sys, memoryLogger().log);
    expect(calls()).toEqual(['systemctl status systemd-suspend', 'systemctl suspend']);
  });

  it.each([
    ['disk', 'systemd-hibernate', 'hibernate'],
    ['hybrid', 'systemd-hybrid-sleep', 'hybrid-sleep'],
  ] as const)('names %s\'s unit and verb as qemu-ga does', async (mode, unit, verb) => {
    program('systemctl', { status: 1 });
    await suspend(mode, sys, memoryLogger().log);
    expect(calls()).toEqual([`systemctl status ${unit}`, `systemctl ${verb}`]);
  });

  it('turns to pm-utils when systemd lacks the unit (4) or the unit is active (0)', async () => {
    program('systemctl', { status: 4 });
    program('pm-is-supported', { '--hibernate': 0 }, 1);
    program('pm-hibernate', {});
    await suspend('disk', sys, memoryLogger().log);
    expect(calls()).toEqual(['systemctl status systemd-hibernate', 'pm-is-supported --hibernate', 'pm-hibernate']);
  });

  it('turns to pm-utils when systemctl suspend fails, then to /sys/power/state when pm-utils fails too', async () => {
    program('systemctl', { status: 3, suspend: 1 });
    program('pm-is-supported', {});
    program('pm-suspend', {}, 5);
    kernelOffers('freeze mem disk\n');
    await suspend('ram', sys, memoryLogger().log);
    expect(calls()).toEqual(['systemctl status systemd-suspend', 'systemctl suspend', 'pm-is-supported --suspend', 'pm-suspend']);
    expect(written()).toBe('memeze mem disk\n');
  });

  it('writes "disk" to /sys/power/state without systemd or pm-utils, when the kernel offers it', async () => {
    kernelOffers('freeze mem disk\n');
    await suspend('disk', sys, memoryLogger().log);
    expect(written()).toBe('diskze mem disk\n');
  });

  it.each([
    ['ram', 'freeze disk\n'],
    ['disk', 'freeze mem\n'],
    ['hybrid', 'freeze mem disk\n'],
  ] as const)('refuses %s when no way offers it (state %j)', async (mode, state) => {
    kernelOffers(state);
    program('systemctl', { status: 4 });
    program('pm-is-supported', {}, 1);
    await expect(suspend(mode, sys, memoryLogger().log)).rejects.toMatchObject({ code: QgaErrorCode.CommandFailed, desc: 'the requested suspend mode is not supported by the guest' });
    expect(written()).toBe(state);
  });

  it('reports no error, as qemu-ga, when a supporting way fails and no later way supports the mode (the failure is logged)', async () => {
    program('systemctl', { status: 3, 'hybrid-sleep': 1 });
    const { log, lines } = memoryLogger();
    await suspend('hybrid', sys, log);
    expect(lines().join('\n')).toContain("the helper program 'systemctl hybrid-sleep' returned an unexpected exit status code (1)");
  });

  it('skips a program that is not executable, as execvp does', async () => {
    program('systemctl', { status: 3 });
    chmodSync(join(dir, 'bin', 'systemctl'), 0o644);
    kernelOffers('mem');
    await suspend('ram', sys, memoryLogger().log);
    expect([calls(), written()]).toEqual([[], 'mem']);
  });

  it('reads this machine\'s /sys/power/state as the kernel offers it, without writing it', () => {
    const state = existsSync('/sys/power/state') ? readFileSync('/sys/power/state', 'latin1') : '';
    expect(kernelSupports('/sys/power', 'ram')).toBe(state.includes('mem'));
    expect(kernelSupports('/sys/power', 'disk')).toBe(state.includes('disk'));
    expect(kernelSupports('/sys/power', 'hybrid')).toBe(false);
  });
});
