import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadActions } from '../../../src/actions/actions-d.js';
import type { ProfileDirs } from '../../../src/commands/profile-plan.js';
import { runProfile } from '../../../src/commands/profile.js';
import { CLI, ROOT } from '../../support/harness.js';

const DROP_IN = '[Service]\n# fsfreeze\nCapabilityBoundingSet=CAP_SYS_ADMIN\n';

let root: string;
let dirs: ProfileDirs;

/** Writes profile `name` listing `actions`, with `dropIn` as its drop-in (none when false). */
function shipProfile(name: string, actions: string, dropIn: string | false = DROP_IN): void {
  mkdirSync(join(dirs.profiles, name, 'vdagent.service.d'), { recursive: true });
  writeFileSync(join(dirs.profiles, name, 'actions'), actions);
  if (dropIn !== false) writeFileSync(join(dirs.profiles, name, 'vdagent.service.d', `${name}.conf`), dropIn);
}

/** Runs the command, collecting what it prints. */
function profile(name: string | undefined, apply: boolean): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runProfile(name, apply, dirs, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vdagent-profile-'));
  dirs = { profiles: join(root, 'profiles'), available: join(root, 'actions.available'), actions: join(root, 'etc', 'actions.d'), dropIns: join(root, 'etc', 'vdagent.service.d') };
  mkdirSync(dirs.available, { recursive: true });
  for (const entry of ['shutdown', 'set-time', 'fsfreeze', 'exec']) copyFileSync(join(ROOT, 'actions.available', entry), join(dirs.available, entry));
  shipProfile('host', '# host: a test host tool\nshutdown   # its stop button\nset-time   # after resume\n\nfsfreeze\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('vdagent profile', () => {
  it('lists the shipped profiles with their summaries', () => {
    shipProfile('other', '# other: another tool\nshutdown\n');
    expect(profile(undefined, false)).toEqual({ code: 0, out: [expect.stringMatching(/^host +host: a test host tool$/), expect.stringMatching(/^other +other: another tool$/)], err: [] });
  });

  it('without --apply prints each link and the drop-in it would create, and changes nothing', () => {
    const r = profile('host', false);
    expect(r.code).toBe(0);
    expect(r.out.filter((l) => /^ {2}link /.test(l))).toHaveLength(3);
    expect(r.out.some((l) => l.startsWith('  copy ') && l.endsWith(join(dirs.dropIns, 'host.conf')))).toBe(true);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('--apply links each entry to the shipped one and installs the drop-in; the daemon then has them on', () => {
    expect(profile('host', true).code).toBe(0);
    for (const name of ['shutdown', 'set-time', 'fsfreeze']) expect(readlinkSync(join(dirs.actions, name))).toBe(join(dirs.available, name));
    const dropIn = join(dirs.dropIns, 'host.conf');
    expect(readFileSync(dropIn, 'utf8')).toBe(DROP_IN);
    expect(statSync(dropIn).mode & 0o777).toBe(0o644);
    expect(statSync(dirs.actions).mode & 0o777).toBe(0o755);
    const actions = loadActions([dirs.actions], { checkOwners: true });
    expect([...actions.values()].filter((e) => e.enabled).map((e) => e.name).sort()).toEqual(['fsfreeze', 'set-time', 'shutdown']);
  });

  it('--apply a second time changes nothing and reports the profile in place', () => {
    profile('host', true);
    const again = profile('host', true);
    expect(again.code).toBe(0);
    expect(again.out.slice(1).every((l) => l.startsWith('  ok '))).toBe(true);
  });

  it("keeps the administrator's own entry, mask and drop-in, and says the profile is short", () => {
    mkdirSync(dirs.actions, { recursive: true });
    mkdirSync(dirs.dropIns, { recursive: true });
    writeFileSync(join(dirs.actions, 'fsfreeze'), 'hook-dir = /etc/qemu/fsfreeze-hook.d\n');
    symlinkSync('/dev/null', join(dirs.actions, 'set-time'));
    writeFileSync(join(dirs.dropIns, 'host.conf'), '[Service]\n');
    const r = profile('host', true);
    expect(r.code).toBe(1);
    expect(readFileSync(join(dirs.actions, 'fsfreeze'), 'utf8')).toBe('hook-dir = /etc/qemu/fsfreeze-hook.d\n');
    expect(readlinkSync(join(dirs.actions, 'set-time'))).toBe('/dev/null');
    expect(readFileSync(join(dirs.dropIns, 'host.conf'), 'utf8')).toBe('[Service]\n');
    expect(readlinkSync(join(dirs.actions, 'shutdown'))).toBe(join(dirs.available, 'shutdown'));
    expect(r.out.map((l) => l.trim().split(/\s+/)[0])).toEqual(['profile', 'linked', 'masked', 'keep', 'differs']);
  });

  it('refuses a profile naming an action this version does not ship, changing nothing', () => {
    shipProfile('newer', 'shutdown\nteleport\n');
    const r = profile('newer', true);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([expect.stringContaining('teleport')]);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('refuses an actions file with a line that is not an action name', () => {
    shipProfile('broken', 'shutdown\n../../etc/shadow\n');
    const r = profile('broken', true);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/actions:2: /);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('refuses an unknown profile, or a name that is a path, and lists the profiles', () => {
    for (const name of ['vmware', '../profiles/host', '']) {
      const r = profile(name, true);
      expect(r.code).toBe(1);
      expect(r.err.at(-1)).toMatch(/profiles: host$/);
    }
  });

  it('lists the profiles it can read, and names one whose actions file is malformed', () => {
    shipProfile('broken', 'shutdown now\n');
    const r = profile(undefined, false);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([expect.stringMatching(/^host /)]);
    expect(r.err).toEqual([expect.stringMatching(/broken.actions:1: /)]);
  });

  it('reports a file it cannot create as an error line, not a crash', () => {
    mkdirSync(join(root, 'etc'));
    writeFileSync(dirs.actions, 'a file where the directory should be\n');
    const r = profile('host', true);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([expect.stringMatching(/^E[A-Z]+: /)]);
  });

  it('installs a profile without a drop-in as links only', () => {
    shipProfile('bare', 'shutdown\n', false);
    const r = profile('bare', true);
    expect(r.code).toBe(0);
    expect(lstatSync(join(dirs.actions, 'shutdown')).isSymbolicLink()).toBe(true);
    expect(existsSync(dirs.dropIns)).toBe(false);
    expect(r.out.join('\n')).not.toMatch(/daemon-reload/);
  });
});

describe('vdagent profile (the command line)', () => {
  /** Runs the built CLI with the test's directories. */
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'profile', ...args, '--profiles-dir', dirs.profiles, '--available-dir', dirs.available, '--actions-dir', dirs.actions, '--drop-in-dir', dirs.dropIns], { encoding: 'utf8' });

  it('applies a profile and tells the administrator to reload systemd', () => {
    const r = cli('host', '--apply');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/systemctl daemon-reload && systemctl restart vdagent/);
    expect(readlinkSync(join(dirs.actions, 'shutdown'))).toBe(join(dirs.available, 'shutdown'));
  });

  it('is a usage error to --apply without a name, or to name two', () => {
    expect(cli('--apply').status).toBe(2);
    expect(cli('host', 'other').status).toBe(2);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });
});
