import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listProfiles, readProfile } from '../../../src/commands/profile-plan.js';
import { QGA_ACTIONS, findCommand } from '../../../src/qga/commands.js';
import { ROOT } from '../../support/harness.js';

const DIRS = { profiles: join(ROOT, 'profiles'), available: join(ROOT, 'actions.available'), actions: '', dropIns: '' };
const UNIT = join(ROOT, 'systemd', 'vdagent.service');
const PROFILES = listProfiles(DIRS);
const SHIPPED_ENTRIES = readdirSync(DIRS.available);

/**
 * The sandbox rights each admin action needs, as the `systemd-analyze security` checks a drop-in
 * granting them turns from passed to failed. An action missing here needs none, or only a
 * writable path (set-vcpus, set-memory-blocks: ReadWritePaths= under /sys).
 */
const RIGHTS: Readonly<Record<string, readonly string[]>> = {
  'set-time': ['ProtectClock=', 'SystemCallFilter=~@clock', 'CapabilityBoundingSet=~CAP_SYS_TIME'],
  fsfreeze: ['CapabilityBoundingSet=~CAP_SYS_ADMIN'],
  fstrim: ['CapabilityBoundingSet=~CAP_SYS_ADMIN'],
  'set-user-password': ['CapabilityBoundingSet=~CAP_(CHOWN|FSETID|SETFCAP)'],
};

/** The commands KubeVirt's virt-handler requires enabled in guest-info to count the agent as supported. */
const KUBEVIRT_REQUIRED = [
  'guest-ping',
  'guest-get-time',
  'guest-info',
  'guest-shutdown',
  'guest-network-get-interfaces',
  'guest-get-fsinfo',
  'guest-get-host-name',
  'guest-get-users',
  'guest-get-timezone',
  'guest-get-osinfo',
];

const scratch = mkdtempSync(join(tmpdir(), 'vdagent-profiles-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of vdagent.service with `conf` as its drop-in NAME.conf, found as systemd finds drop-ins. */
function unitWithDropIn(name: string, conf: string): { unit: string; env: NodeJS.ProcessEnv } {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'vdagent.service.d'), { recursive: true });
  copyFileSync(UNIT, join(dir, 'vdagent.service'));
  writeFileSync(join(dir, 'vdagent.service.d', `${name}.conf`), conf);
  return { unit: join(dir, 'vdagent.service'), env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } };
}

/** The problems `systemd-analyze verify` reports beyond what only the installed package provides. */
function verifyProblems(unit: string, env: NodeJS.ProcessEnv): string[] {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8', env });
  const expected = [/Command \/usr\/bin\/vdagent is not executable/, /Unknown key '(RestartSteps|RestartMaxDelaySec)' in section \[Service\]/];
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '' && !expected.some((e) => e.test(l)));
}

/** The `systemd-analyze security` checks the unit fails. */
function failedChecks(unit: string, env: NodeJS.ProcessEnv = process.env): Set<string> {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { encoding: 'utf8', env });
  return new Set(r.stdout.split('\n').flatMap((l) => /^✗ (\S+)/.exec(l)?.[1] ?? []));
}

const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('the shipped profiles', () => {
  it('are libvirt, kubevirt and proxmox', () => {
    expect(PROFILES).toEqual(['kubevirt', 'libvirt', 'proxmox']);
  });

  describe.each(PROFILES)('%s', (name) => {
    const profile = readProfile(DIRS, name);

    it('names only admin actions this version ships in actions.available and serves', () => {
      expect(profile.actions.length).toBeGreaterThan(0);
      expect(profile.actions.filter((a) => !SHIPPED_ENTRIES.includes(a))).toEqual([]);
      expect(profile.actions.filter((a) => !(QGA_ACTIONS as readonly string[]).includes(a))).toEqual([]);
    });

    it('never enables exec or file, which give the host root', () => {
      expect(profile.actions).not.toContain('exec');
      expect(profile.actions).not.toContain('file');
    });

    it.runIf(hasSystemd)('ships a drop-in that systemd-analyze verify accepts', () => {
      expect(profile.dropIn).toBeDefined();
      const { unit, env } = unitWithDropIn(name, profile.dropIn?.text ?? '');
      expect(verifyProblems(unit, env)).toEqual([]);
    });

    it.runIf(hasSystemd)('ships a drop-in granting exactly the rights of its actions, nothing more', () => {
      const { unit, env } = unitWithDropIn(name, profile.dropIn?.text ?? '');
      const base = failedChecks(UNIT);
      const granted = [...failedChecks(unit, env)].filter((c) => !base.has(c)).sort();
      const needed = [...new Set(profile.actions.flatMap((a) => RIGHTS[a] ?? []))].sort();
      expect(granted).toEqual(needed);
    });
  });

  it('kubevirt: enables every command KubeVirt requires before it counts the agent as supported', () => {
    const on = new Set(['always', 'info', ...readProfile(DIRS, 'kubevirt').actions]);
    expect(KUBEVIRT_REQUIRED.filter((c) => !on.has(findCommand(c)?.action ?? 'not served'))).toEqual([]);
  });
});

describe.runIf(hasSystemd)('the drop-in check', () => {
  it('reads the drop-in: an unknown key there is reported', () => {
    const { unit, env } = unitWithDropIn('bogus', '[Service]\nProtectClocks=no\n');
    expect(verifyProblems(unit, env)).toEqual([expect.stringMatching(/Unknown key 'ProtectClocks'/)]);
  });
});
