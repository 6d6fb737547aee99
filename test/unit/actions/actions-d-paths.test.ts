import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadActions } from '../../../src/actions/actions-d.js';
import { isDistrust, readWalked, walkPath } from '../../../src/platform/trusted-path.js';
import { watchedDirectories } from '../../../src/actions/watch.js';
import { describeActions } from '../../../src/commands/actions.js';
import { memoryLogger } from '../../support/log.js';

/** An unprivileged user that exists on every Debian system. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const check = { check: true };

let root: string;
let admin: string;
let available: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'actions-paths-'));
  chmodSync(root, 0o755);
  admin = join(root, 'admin');
  available = join(root, 'available');
  mkdirSync(admin, { mode: 0o755 });
  mkdirSync(available, { mode: 0o755 });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A directory under the test root owned by `uid`, mode 0755. */
function dirOf(name: string, uid: number): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, uid, uid);
  return dir;
}

/** A file with safe permissions. */
function file(path: string, content: string): string {
  writeFileSync(path, content, { mode: 0o644 });
  chmodSync(path, 0o644);
  return path;
}

/** Runs a command as the unprivileged user, as an attacker on the guest would. */
function asNobody(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { uid: NOBODY, gid: NOBODY, stdio: 'ignore' });
}

/** Loads `admin` alone, returning the set and the log lines. */
function load(): { set: ReturnType<typeof loadActions>; lines: string[] } {
  const { log, lines } = memoryLogger();
  return { set: loadActions([admin], { log }), lines: lines() };
}

describe('walkPath', () => {
  it('resolves links one component at a time, relative targets from the link’s own directory', () => {
    file(join(available, 'exec'), '/usr/bin/true\n');
    symlinkSync('../available/exec', join(admin, 'exec'));
    const walked = walkPath(join(admin, 'exec'), check);
    expect(isDistrust(walked)).toBe(false);
    expect(walked).toMatchObject({ real: join(available, 'exec'), dirs: [admin, available] });
  });

  it('refuses a loop of links', () => {
    symlinkSync('b', join(admin, 'a'));
    symlinkSync('a', join(admin, 'b'));
    expect(walkPath(join(admin, 'a'), check)).toMatchObject({ code: 'loop' });
  });

  it('reads through the file it judged, and refuses to when the file was replaced since', () => {
    const path = file(join(available, 'exec'), '/usr/bin/true\n');
    const walked = walkPath(path, check);
    if (isDistrust(walked)) throw new Error(walked.reason);
    expect(readWalked(walked, 1024)).toBe('/usr/bin/true\n');
    renameSync(file(join(available, 'new'), '/bin/bash\n'), path);
    expect(() => readWalked(walked, 1024)).toThrow(/changed/);
  });
});

describe.runIf(asRoot)('actions.d entries are trusted only through root-owned paths (as root)', () => {
  it('accepts a chain of links that root owns throughout, and follows the directories it passes', () => {
    const lib = dirOf('lib', 0);
    file(join(lib, 'exec-list'), '/usr/bin/true\n');
    symlinkSync(join(lib, 'exec-list'), join(available, 'exec'));
    symlinkSync(join(available, 'exec'), join(admin, 'exec'));
    const { set } = load();
    expect(set.get('exec')).toMatchObject({ enabled: true, content: '/usr/bin/true\n', path: join(admin, 'exec') });
    expect(watchedDirectories([admin], set)).toEqual([admin, available, lib]);
  });

  it('refuses a middle link in a directory an unprivileged user owns, naming that directory, whatever the user points it at', () => {
    const user = dirOf('user', NOBODY);
    file(join(available, 'exec'), '/usr/bin/true\n');
    symlinkSync(join(available, 'exec'), join(user, 'exec'));
    symlinkSync(join(user, 'exec'), join(admin, 'exec'));
    const first = load();
    expect(first.set.has('exec')).toBe(false);
    expect(first.lines.some((l) => l.includes(`${user} is owned by uid ${NOBODY}`) && l.includes('refused'))).toBe(true);
    expect(walkPath(join(admin, 'exec'), check)).toMatchObject({ component: user, code: 'owner' });

    // The user re-points the middle link at a list of their own.
    asNobody('sh', ['-c', `printf '/bin/bash\\n' > ${join(user, 'mine')} && ln -sfn ${join(user, 'mine')} ${join(user, 'exec')}`]);
    expect(load().set.has('exec')).toBe(false);
  });

  it('shows a refused entry in vdagent actions, with the component at fault', () => {
    const user = dirOf('user', NOBODY);
    file(join(user, 'exec'), '/bin/bash\n');
    symlinkSync(join(user, 'exec'), join(admin, 'exec'));
    expect(describeActions([admin]).find((l) => l.startsWith('exec '))).toMatch(
      new RegExp(`^exec +refused +\\(no entry\\) \\(refused ${join(admin, 'exec')}: ${user} is owned by uid ${NOBODY}, not by root\\)$`),
    );
  });

  it('refuses a link an unprivileged user owns in a root-owned directory, naming the link', () => {
    file(join(available, 'exec'), '/usr/bin/true\n');
    symlinkSync(join(available, 'exec'), join(admin, 'exec'));
    execFileSync('chown', ['-h', `${NOBODY}:${NOBODY}`, join(admin, 'exec')]);
    expect(walkPath(join(admin, 'exec'), check)).toMatchObject({ component: join(admin, 'exec'), code: 'owner' });
    expect(load().set.has('exec')).toBe(false);
  });

  it('refuses an entry whose target passes a group-writable directory, naming it', () => {
    const shared = join(available, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o775);
    file(join(shared, 'exec'), '/usr/bin/true\n');
    symlinkSync(join(shared, 'exec'), join(admin, 'exec'));
    const { set, lines } = load();
    expect(set.has('exec')).toBe(false);
    expect(lines.some((l) => l.includes(`${shared} is writable by group or others (mode 775)`))).toBe(true);
    expect(walkPath(join(admin, 'exec'), check)).toMatchObject({ component: shared, code: 'writable' });
  });

  it('refuses every entry of an actions.d whose parent an unprivileged user owns', () => {
    const user = dirOf('user', NOBODY);
    const dir = join(user, 'actions.d');
    mkdirSync(dir, { mode: 0o755 });
    file(join(dir, 'exec'), '/usr/bin/true\n');
    const { log, lines } = memoryLogger();
    expect(loadActions([dir], { log }).size).toBe(0);
    expect(lines().some((l) => l.includes(`${user} is owned by uid ${NOBODY}`) && l.includes('its entries are refused'))).toBe(true);
  });

  it('passes a sticky world-writable directory only to a component root owns', () => {
    const sticky = join(root, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    file(join(sticky, 'exec'), '/usr/bin/true\n');
    symlinkSync(join(sticky, 'exec'), join(admin, 'exec'));
    expect(load().set.get('exec')?.content).toBe('/usr/bin/true\n');

    unlinkSync(join(sticky, 'exec'));
    asNobody('sh', ['-c', `printf '/bin/bash\\n' > ${join(sticky, 'exec')}`]);
    expect(walkPath(join(admin, 'exec'), check)).toMatchObject({ component: join(sticky, 'exec'), code: 'owner' });
    expect(load().set.has('exec')).toBe(false);
  });

  it('refuses a world-writable directory without the sticky bit', () => {
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    file(join(open, 'exec'), '/usr/bin/true\n');
    symlinkSync(join(open, 'exec'), join(admin, 'exec'));
    expect(walkPath(join(admin, 'exec'), check)).toMatchObject({ component: open, code: 'writable' });
  });

  it('refuses on reload an entry re-pointed through a user-owned directory after it was accepted', () => {
    const user = dirOf('user', NOBODY);
    file(join(available, 'exec'), '/usr/bin/true\n');
    symlinkSync(join(available, 'exec'), join(available, 'exec-link'));
    symlinkSync(join(available, 'exec-link'), join(admin, 'exec'));
    expect(load().set.get('exec')?.content).toBe('/usr/bin/true\n');

    asNobody('sh', ['-c', `printf '/bin/bash\\n' > ${join(user, 'exec')}`]);
    unlinkSync(join(available, 'exec-link'));
    symlinkSync(join(user, 'exec'), join(available, 'exec-link'));
    const { set, lines } = load();
    expect(set.has('exec')).toBe(false);
    expect(lines.some((l) => l.includes(user))).toBe(true);
  });

  it('still takes a link to /dev/null as a mask', () => {
    symlinkSync('/dev/null', join(admin, 'exec'));
    expect(load().set.get('exec')).toMatchObject({ enabled: false, content: '', dirs: [admin] });
  });
});
