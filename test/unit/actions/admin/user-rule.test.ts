import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadActions } from '../../../../src/actions/actions-d.js';
import { adminPolicy, DEFAULT_CHPASSWD } from '../../../../src/actions/admin/policy.js';
import { userRule } from '../../../../src/actions/admin/user-rule.js';

describe('the users an account action may change', () => {
  it('is every user but root when the entry has no users setting', () => {
    const rule = userRule('/e', undefined);
    expect(rule.allows('alice', 1000)).toBe(true);
    expect(rule.allows('nosuchuser', undefined)).toBe(true);
    expect(rule.allows('root', 0)).toBe(false);
  });

  it('never includes root in "*", whether by name or by uid 0', () => {
    const rule = userRule('/e', '*');
    expect(rule.allows('alice', 1000)).toBe(true);
    expect(rule.allows('root', 0)).toBe(false);
    expect(rule.allows('toor', 0)).toBe(false);
    expect(rule.allows('root', undefined)).toBe(false);
  });

  it('is exactly the names listed, root included only when named', () => {
    const rule = userRule('/e', 'alice  bob root');
    expect(['alice', 'bob', 'carol'].map((n) => rule.allows(n, 1000))).toEqual([true, true, false]);
    expect(rule.allows('root', 0)).toBe(true);
    expect(rule.allows('toor', 0)).toBe(false);
    expect(userRule('/e', '* toor').allows('toor', 0)).toBe(true);
  });

  it('allows nobody with an empty list', () => {
    expect(userRule('/e', '').allows('alice', 1000)).toBe(false);
  });
});

describe('the ssh-keys and set-user-password entries', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'policy-'));
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const entry = (name: string, content: string): void => writeFileSync(join(dir, name), content, { mode: 0o644 });

  it('are actions of their own, off unless their entry is there', () => {
    entry('info', '');
    const policy = adminPolicy(loadActions([dir]));
    expect([policy.enabled('ssh-keys'), policy.enabled('set-user-password')]).toEqual([false, false]);
    expect(policy.sshKeyUsers.entry).toBeUndefined();
  });

  it('read the users and chpasswd settings, noting unknown keys', () => {
    entry('ssh-keys', 'users = alice root\nchpasswd = /bin/true\n');
    entry('set-user-password', '# comment\nusers = bob\nchpasswd = /opt/chpasswd\n');
    const policy = adminPolicy(loadActions([dir]));
    expect(policy.sshKeyUsers.entry).toBe(join(dir, 'ssh-keys'));
    expect([policy.sshKeyUsers.allows('alice', 1000), policy.sshKeyUsers.allows('root', 0), policy.sshKeyUsers.allows('bob', 1001)]).toEqual([true, true, false]);
    expect([policy.passwordUsers.allows('bob', 1001), policy.passwordUsers.allows('alice', 1000)]).toEqual([true, false]);
    expect(policy.chpasswd).toBe('/opt/chpasswd');
    expect(policy.notes.map((n) => n.text)).toEqual([`actions.d: ${join(dir, 'ssh-keys')}: unknown setting chpasswd; ignored`]);
  });

  it('as shipped, enable every user but root and the system chpasswd, without a note', () => {
    for (const name of ['ssh-keys', 'set-user-password']) entry(name, readFileSync(join('actions.available', name), 'utf8'));
    const policy = adminPolicy(loadActions([dir]));
    expect(policy.notes).toEqual([]);
    expect(policy.chpasswd).toBe(DEFAULT_CHPASSWD);
    for (const rule of [policy.sshKeyUsers, policy.passwordUsers]) expect([rule.allows('alice', 1000), rule.allows('root', 0)]).toEqual([true, false]);
  });
});
