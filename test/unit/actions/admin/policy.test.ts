import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadActions } from '../../../../src/actions/actions-d.js';
import { hookPrograms } from '../../../../src/actions/admin/hooks.js';
import { adminPolicy, DEFAULT_HOOK_DIR } from '../../../../src/actions/admin/policy.js';
import { memoryLogger } from '../../../support/log.js';

describe('the admin policy read from actions.d', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'policy-'));
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const entry = (name: string, content: string, mode = 0o644): void => writeFileSync(join(dir, name), content, { mode });

  it('enables the actions whose entries exist and are not masked', () => {
    entry('info', '');
    entry('file', '');
    symlinkSync('/dev/null', join(dir, 'exec'));
    const policy = adminPolicy(loadActions([dir]));
    expect(['info', 'file', 'exec', 'shutdown'].map((a) => policy.enabled(a as 'info'))).toEqual([true, true, false, false]);
  });

  it('allows the exec list’s programs under their listed names, directory links followed, and nothing else', () => {
    entry('exec', '# allowed\n/usr/bin/echo  # trailing comment\n\nrelative/prog\n');
    const { exec, notes } = adminPolicy(loadActions([dir]));
    expect(exec.program('/usr/bin/echo')).toBe('/usr/bin/echo');
    symlinkSync('/usr/bin', join(dir, 'bin'));
    expect(exec.program(join(dir, 'bin/echo'))).toBe('/usr/bin/echo');
    // A link with another name is another program (a multi-call binary picks its applet by name).
    symlinkSync('/usr/bin/echo', join(dir, 'echo-link'));
    expect(exec.program(join(dir, 'echo-link'))).toBeUndefined();
    expect(exec.program('/usr/bin/id')).toBeUndefined();
    expect(exec.entry).toBe(join(dir, 'exec'));
    expect(notes.map((n) => n.text)).toEqual([`actions.d: ${dir}/exec:4: "relative/prog" is not an absolute path; ignored`]);
  });

  it('allows any program with a "*" line', () => {
    entry('exec', '*\n');
    expect(adminPolicy(loadActions([dir])).exec.program('/usr/bin/id')).toBe('/usr/bin/id');
  });

  it('accepts the environment names of env settings, but never injection variables, with an error line each', () => {
    entry('exec', '/bin/echo\nenv = LANG TZ\nenv=MY_SETTING LD_PRELOAD BASH_FUNC_date%% PYTHONPATH 1bad\ncolour = blue\n');
    const { exec, notes } = adminPolicy(loadActions([dir]));
    expect([...exec.env]).toEqual(['LANG', 'TZ', 'MY_SETTING']);
    expect(notes.map((n) => [n.level, n.text])).toEqual([
      ['error', `actions.d: ${dir}/exec:3: env "LD_PRELOAD" can make a program load or run other code, and can never be accepted; ignored`],
      ['error', `actions.d: ${dir}/exec:3: env "BASH_FUNC_date%%" is not a variable name; ignored`],
      ['error', `actions.d: ${dir}/exec:3: env "PYTHONPATH" can make a program load or run other code, and can never be accepted; ignored`],
      ['error', `actions.d: ${dir}/exec:3: env "1bad" is not a variable name; ignored`],
      ['warn', `actions.d: ${dir}/exec:4: unknown setting colour; ignored`],
    ]);
  });

  it('reads the hook directory and hwclock settings, noting unknown keys', () => {
    entry('fsfreeze', 'hook-dir = /srv/hooks\ncolour = blue\n');
    entry('set-time', 'hwclock = /usr/local/sbin/hwclock\n');
    const policy = adminPolicy(loadActions([dir]));
    expect([policy.hookDir, policy.hwclock]).toEqual(['/srv/hooks', '/usr/local/sbin/hwclock']);
    expect(policy.notes.map((n) => n.text)).toEqual([`actions.d: ${dir}/fsfreeze: unknown setting colour; ignored`]);
    expect(adminPolicy(new Map()).hookDir).toBe(DEFAULT_HOOK_DIR);
  });

  it('allows every suspend mode by default, and only the listed ones with a modes setting', () => {
    entry('suspend', '');
    expect([...adminPolicy(loadActions([dir])).suspendModes]).toEqual(['ram', 'disk', 'hybrid']);
    entry('suspend', 'modes = disk  sleep\n');
    const policy = adminPolicy(loadActions([dir]));
    expect([...policy.suspendModes]).toEqual(['disk']);
    expect(policy.notes.map((n) => n.text)).toEqual([`actions.d: ${dir}/suspend: unknown suspend mode "sleep"; ignored`]);
  });
});

describe('fsfreeze hook programs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(os.tmpdir(), 'hooks-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are the executable regular files by name, without dot-files and leftovers', () => {
    for (const name of ['20-b', '10-a', '.hidden', '30-c~', '40-d.dpkg-old', '50-e.rpmnew', '60-f.sample']) writeFileSync(join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, '15-not-executable'), '', { mode: 0o644 });
    expect(hookPrograms(dir, memoryLogger().log, false)).toEqual([join(dir, '10-a'), join(dir, '20-b')]);
  });

  it('as root, leave out programs others could have written', () => {
    writeFileSync(join(dir, '10-a'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, '20-b'), '#!/bin/sh\n', { mode: 0o755 });
    chmodSync(join(dir, '20-b'), 0o777);
    const { log, lines } = memoryLogger();
    expect(hookPrograms(dir, log, true)).toEqual(process.getuid?.() === 0 ? [join(dir, '10-a')] : []);
    expect(lines().some((l) => l.includes('20-b'))).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('as root, leave out programs reached through a directory others could change: the hook directory itself or a link\'s target', () => {
    const hooks = join(dir, 'hooks');
    const open = join(dir, 'open');
    mkdirSync(hooks, { mode: 0o755 });
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(hooks, '10-a'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(open, 'script'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync(join(open, 'script'), join(hooks, '20-link'));
    const { log, lines } = memoryLogger();
    expect(hookPrograms(hooks, log, true)).toEqual([join(hooks, '10-a')]);
    expect(lines().some((l) => l.includes('20-link'))).toBe(true);
    writeFileSync(join(open, '10-b'), '#!/bin/sh\n', { mode: 0o755 });
    expect(hookPrograms(open, log, true)).toEqual([]);
  });

  it('are none when the directory is missing', () => {
    expect(hookPrograms(join(dir, 'missing'), memoryLogger().log)).toEqual([]);
  });
});
