import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/harness.js';
import { readUnitFile, setting, unitBytes, unitSeconds } from '../../support/systemd-unit.js';

const UNIT = join(ROOT, 'systemd', 'vdagent.service');
const unit = readUnitFile(UNIT);
const MB = 1024 * 1024;
/** Measured (see the unit's comment): daemon + helper at idle, and at the largest clipboard. */
const IDLE_BYTES = 130 * MB;
const LARGEST_CLIPBOARD_PEAK_BYTES = 817 * MB;
/** Threads of daemon and helper together (11 each). */
const THREADS = 22;

describe('vdagent.service resource limits', () => {
  it('caps the cgroup’s memory above the measured peaks, and far below an unbounded guest', () => {
    const max = unitBytes(setting(unit, 'Service', 'MemoryMax') ?? '');
    expect(max).toBeGreaterThan(LARGEST_CLIPBOARD_PEAK_BYTES);
    expect(max).toBeGreaterThan(IDLE_BYTES * 4);
    expect(max).toBeLessThanOrEqual(2048 * MB);
  });

  it('lets the OOM killer end one process of the service, not the whole service', () => {
    expect(setting(unit, 'Service', 'OOMPolicy')).toBe('continue');
  });

  it('caps tasks well above daemon and helper, below a fork bomb', () => {
    const tasks = Number(setting(unit, 'Service', 'TasksMax'));
    expect(tasks).toBeGreaterThanOrEqual(THREADS * 4);
    expect(tasks).toBeLessThanOrEqual(1024);
  });

  it('caps descriptors with one soft and hard limit (Node.js would raise the soft one to the hard)', () => {
    const nofile = setting(unit, 'Service', 'LimitNOFILE') ?? '';
    expect(nofile).toMatch(/^\d+$/);
    expect(Number(nofile)).toBeGreaterThanOrEqual(512);
    expect(Number(nofile)).toBeLessThanOrEqual(65536);
  });
});

describe('vdagent.service restart policy', () => {
  it('never gives up: no start rate limit', () => {
    expect(setting(unit, 'Unit', 'StartLimitIntervalSec')).toBe('0');
    expect(setting(unit, 'Service', 'StartLimitIntervalSec')).toBeUndefined();
  });

  it('restarts after any end systemctl did not ask for, with a delay growing to a bounded maximum', () => {
    expect(setting(unit, 'Service', 'Restart')).toBe('always');
    const first = unitSeconds(setting(unit, 'Service', 'RestartSec') ?? '');
    const last = unitSeconds(setting(unit, 'Service', 'RestartMaxDelaySec') ?? '');
    expect(first).toBeGreaterThan(0);
    expect(Number(setting(unit, 'Service', 'RestartSteps'))).toBeGreaterThan(0);
    expect(last).toBeGreaterThan(first);
    expect(last).toBeLessThanOrEqual(300);
  });
});

/** The installed systemd's version, or undefined when systemd-analyze is missing. */
function systemdVersion(): number | undefined {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? Number(/^systemd (\d+)/.exec(r.stdout)?.[1]) : undefined;
}
const version = systemdVersion();

describe.runIf(version !== undefined)('systemd-analyze verify', () => {
  it('finds nothing wrong with the unit beyond what only an installed package provides', () => {
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', UNIT], { encoding: 'utf8' });
    const expected = [
      // The package installs the launcher; the tree has none.
      /Command \/usr\/bin\/vdagent is not executable/,
      // Before systemd 254 the growing restart delay is unknown (the unit's comment says what follows).
      ...((version ?? 0) < 254 ? [/Unknown key '(RestartSteps|RestartMaxDelaySec)' in section \[Service\], ignoring\./] : []),
    ];
    const problems = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '' && !expected.some((e) => e.test(l)));
    expect(problems).toEqual([]);
  });
});
