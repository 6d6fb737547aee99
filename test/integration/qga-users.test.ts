import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LISTED_KEYS } from '../../src/actions/admin/ssh-keys.js';
import { readableByAll } from '../../src/platform/process/readable-by-all.js';
import { CLI } from '../support/harness.js';
import { grabDescriptor } from '../support/grab-fd.js';
import { peakRssOf, resetPeakRss, rssOf } from '../support/proc.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';
import { passwordMatches, shadowHash } from '../support/shadow.js';
import { createTestUser, removeTestUser, type TestUser } from '../support/test-user.js';

const USER = 'vdagent-qgau';
/** cgroup v1's freezer: a task frozen there does not end on SIGKILL until thawed. */
const FREEZER = '/sys/fs/cgroup/freezer';
const MiB = 1 << 20;

/** A process's children (none once it ended). */
const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
/** A process's command line, NULs as spaces ('' once it ended). */
const commandLineOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};
/** A second account with uid 0 (made with useradd -o): root in all but name. */
const ROOT_TWIN = 'vdagent-qgaz';
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

/** Removes the uid-0 twin (-f: userdel otherwise refuses an account whose uid runs processes). */
function removeRootTwin(): void {
  try {
    execFileSync('userdel', ['-f', ROOT_TWIN], { stdio: 'ignore' });
  } catch {
    // Not there.
  }
}

/** guest-set-user-password and guest-ssh-*-authorized-keys against a real throw-away user, real chpasswd and the real daemon. */
describe.skipIf(process.getuid?.() !== 0)('user accounts through the guest agent (needs root: useradd, chpasswd)', () => {
  let root: string;
  let user: TestUser;
  let twinHome: string;
  let listed: QgaDaemon;
  let defaults: QgaDaemon;
  let infoOnly: QgaDaemon;
  let passwordEntry: string;
  let sshEntry: string;
  const keysFile = (): string => join(user.home, '.ssh', 'authorized_keys');

  /** An actions.d folder with these entries. */
  const actionsDir = (name: string, entries: Record<string, string>): string => {
    const dir = join(root, name);
    mkdirSync(dir, { mode: 0o755 });
    for (const [entry, text] of Object.entries(entries)) writeFileSync(join(dir, entry), text, { mode: 0o644 });
    return dir;
  };

  beforeAll(async () => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-users-'));
    chmodSync(root, 0o755);
    user = createTestUser(USER, join(root, 'home'));
    twinHome = join(root, 'twin');
    mkdirSync(twinHome, { mode: 0o700 });
    removeRootTwin();
    execFileSync('useradd', ['-o', '-u', '0', '-g', '0', '--no-create-home', '--home-dir', twinHome, '--shell', '/usr/sbin/nologin', ROOT_TWIN], { stdio: 'ignore' });
    const a = actionsDir('listed', {
      info: '',
      'ssh-keys': `users = ${USER} ${ROOT_TWIN} vdagent-nosuch\n`,
      'set-user-password': `users = ${USER} vdagent-nosuch\nchpasswd = /usr/sbin/chpasswd\n`,
    });
    passwordEntry = join(a, 'set-user-password');
    sshEntry = join(a, 'ssh-keys');
    const b = actionsDir('defaults', { info: '', 'ssh-keys': readFileSync('actions.available/ssh-keys', 'utf8') });
    const c = actionsDir('info-only', { info: '' });
    [listed, defaults, infoOnly] = await Promise.all([startQgaDaemon({ actionsDirs: [a] }), startQgaDaemon({ actionsDirs: [b] }), startQgaDaemon({ actionsDirs: [c] })]);
  }, 30_000);

  afterAll(async () => {
    for (const d of [listed, defaults, infoOnly]) await d?.stop();
    removeTestUser(USER);
    removeRootTwin();
    rmSync(root, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') for (const d of [listed, defaults, infoOnly]) if (d) process.stderr.write(`--- daemon log ---\n${d.logs()}\n`);
  });

  describe('guest-set-user-password', () => {
    it('sets a plain password through chpasswd, which hashes it', async () => {
      const r = await listed.client.json({ execute: 'guest-set-user-password', arguments: { username: USER, password: b64('correct horse'), crypted: false } });
      expect(r).toEqual({ return: {} });
      const hash = shadowHash(USER) ?? '';
      expect(hash).toMatch(/^\$/);
      expect(passwordMatches('correct horse', hash)).toBe(true);
      expect(passwordMatches('wrong horse', hash)).toBe(false);
    });

    it('stores a crypted password as sent (chpasswd -e)', async () => {
      const hash = execFileSync('perl', ['-e', 'print crypt("battery staple", q($6$vdagentsalt$))'], { encoding: 'utf8' });
      expect(await listed.client.json({ execute: 'guest-set-user-password', arguments: { username: USER, password: b64(hash), crypted: true } })).toEqual({ return: {} });
      expect(shadowHash(USER)).toBe(hash);
      expect(passwordMatches('battery staple', hash)).toBe(true);
    });

    it('refuses root and users the entry does not list, naming the entry in the log, and changes nothing', async () => {
      const before = [shadowHash('root'), shadowHash('daemon'), shadowHash(USER)];
      for (const username of ['root', 'daemon', ROOT_TWIN]) {
        const r = await listed.client.json({ execute: 'guest-set-user-password', arguments: { username, password: b64('x'), crypted: false } });
        expect(r.error?.class, username).toBe('GenericError');
      }
      expect([shadowHash('root'), shadowHash('daemon'), shadowHash(USER)]).toEqual(before);
      expect(listed.logs()).toContain(`set-user-password refused by ${passwordEntry}: user "daemon"`);
    });

    it('answers as qemu-ga for a listed user the system does not know (chpasswd fails)', async () => {
      const r = await listed.client.json({ execute: 'guest-set-user-password', arguments: { username: 'vdagent-nosuch', password: b64('x'), crypted: false } });
      expect(r).toEqual({ error: { class: 'GenericError', desc: 'child process has failed to set user password' } });
    });

    it('refuses a newline or NUL in the password and a colon in the user name before running anything', async () => {
      const before = shadowHash(USER);
      for (const [username, password] of [
        [USER, b64('a\nb')],
        [USER, b64('a\0b')],
        [`${USER}:x`, b64('pw')],
      ] as const) {
        const r = await listed.client.json({ execute: 'guest-set-user-password', arguments: { username, password, crypted: false } });
        expect(r.error?.class).toBe('GenericError');
      }
      expect(shadowHash(USER)).toBe(before);
    });

    it('is disabled without its entry', async () => {
      const r = await defaults.client.json({ execute: 'guest-set-user-password', arguments: { username: USER, password: b64('x'), crypted: false } });
      expect(r).toEqual({ error: { class: 'CommandNotFound', desc: 'Command guest-set-user-password has been disabled' } });
    });
  });

  describe('guest-ssh-*-authorized-keys', () => {
    const add = (agent: QgaDaemon, keys: string[], reset?: boolean, username = USER) =>
      agent.client.json({ execute: 'guest-ssh-add-authorized-keys', arguments: { username, keys, ...(reset === undefined ? {} : { reset }) } });
    const remove = (agent: QgaDaemon, keys: string[], username = USER) => agent.client.json({ execute: 'guest-ssh-remove-authorized-keys', arguments: { username, keys } });
    const get = (agent: QgaDaemon, username = USER, timeoutMs?: number) => agent.client.json({ execute: 'guest-ssh-get-authorized-keys', arguments: { username } }, timeoutMs);

    it('answers get for a missing file as qemu-ga does', async () => {
      expect(await get(infoOnly)).toEqual({
        error: { class: 'GenericError', desc: `failed to read '${keysFile()}': Failed to open file “${keysFile()}”: No such file or directory` },
      });
      expect(await get(infoOnly, 'vdagent-nosuch')).toEqual({ error: { class: 'GenericError', desc: "failed to lookup user 'vdagent-nosuch': Success" } });
    });

    it('adds keys as the user: ~/.ssh 0700 and the file 0600, owned by the user, duplicates once', async () => {
      expect(await add(listed, ['ssh-ed25519 AAAAkey1 one', 'ssh-ed25519 AAAAkey2 two', 'ssh-ed25519 AAAAkey1 one', ''])).toEqual({ return: {} });
      expect(readFileSync(keysFile(), 'utf8')).toBe('ssh-ed25519 AAAAkey1 one\nssh-ed25519 AAAAkey2 two\n');
      const dir = statSync(join(user.home, '.ssh'));
      const file = statSync(keysFile());
      expect([dir.uid, dir.gid, dir.mode & 0o7777]).toEqual([user.uid, user.gid, 0o700]);
      expect([file.uid, file.gid, file.mode & 0o7777]).toEqual([user.uid, user.gid, 0o600]);
      expect(await get(infoOnly)).toEqual({ return: { keys: ['ssh-ed25519 AAAAkey2 two', 'ssh-ed25519 AAAAkey1 one'] } });
    });

    it('removes keys (absent ones are no error), and reset replaces them all', async () => {
      expect(await remove(listed, ['ssh-ed25519 AAAAkey1 one', 'ssh-ed25519 AAAAnever there'])).toEqual({ return: {} });
      expect(readFileSync(keysFile(), 'utf8')).toBe('ssh-ed25519 AAAAkey2 two\n');
      expect(await add(listed, ['ssh-rsa AAAAkey3 three', ''], true)).toEqual({ return: {} });
      expect(readFileSync(keysFile(), 'utf8')).toBe('ssh-rsa AAAAkey3 three\n');
      expect(readdirSync(join(user.home, '.ssh'))).toEqual(['authorized_keys']);
      expect(statSync(keysFile()).uid).toBe(user.uid);
    });

    it('refuses invalid keys with qemu-ga’s error and leaves the file alone', async () => {
      expect(await add(listed, ['ok', '# comment'])).toEqual({ error: { class: 'GenericError', desc: "invalid OpenSSH public key: '# comment'" } });
      expect((await remove(listed, ['a\nb'])).error?.class).toBe('GenericError');
      // Bounded: 1025 keys, or one key of 16 KiB and one byte, are refused before anything runs.
      expect((await add(listed, Array.from({ length: 1025 }, (_, i) => `ssh-ed25519 AAAA${i}`))).error?.class).toBe('GenericError');
      expect((await add(listed, [`ssh-ed25519 ${'A'.repeat(16 * 1024)}`])).error?.class).toBe('GenericError');
      expect(readFileSync(keysFile(), 'utf8')).toBe('ssh-rsa AAAAkey3 three\n');
    });

    it('never writes a file larger than it reads back (4 MiB): such an add is refused, and the keys stay readable', async () => {
      const keys = Array.from({ length: 300 }, (_, i) => `ssh-rsa ${String(i).padStart(5, '0')}${'A'.repeat(16 * 1024 - 20)}`);
      expect(await add(listed, keys)).toEqual({
        error: { class: 'GenericError', desc: `failed to write to '${keysFile()}': Failed to write file “${keysFile()}”: File too large` },
      });
      expect(readFileSync(keysFile(), 'utf8')).toBe('ssh-rsa AAAAkey3 three\n');
      expect(readdirSync(join(user.home, '.ssh'))).toEqual(['authorized_keys']);
      expect(await get(infoOnly)).toEqual({ return: { keys: ['ssh-rsa AAAAkey3 three'] } });
    });

    it(`lists at most ${MAX_LISTED_KEYS} keys: the user's 4 MiB of one-letter lines is refused as too large, within bounded memory`, async () => {
      const kept = readFileSync(keysFile());
      const plant = (text: string): void => {
        writeFileSync(keysFile(), text);
        chownSync(keysFile(), user.uid, user.gid);
      };
      try {
        plant(Array.from({ length: MAX_LISTED_KEYS }, (_, i) => `k${i}`).join('\n'));
        expect(((await get(infoOnly)).return as { keys: string[] }).keys).toHaveLength(MAX_LISTED_KEYS);
        plant('a\n'.repeat(2 * 1024 * 1024 - 1));
        const idle = rssOf(infoOnly.pid);
        resetPeakRss(infoOnly.pid);
        expect(await get(infoOnly)).toEqual({
          error: { class: 'GenericError', desc: `failed to read '${keysFile()}': Failed to read from file “${keysFile()}”: File too large` },
        });
        // Listing its two million keys took +116 MiB.
        expect(peakRssOf(infoOnly.pid) - idle).toBeLessThan(48 * 1024 * 1024);
      } finally {
        plant(kept.toString());
      }
    });

    it('lists a user’s 4 MiB of control characters (65,536 keys, six bytes each in JSON) within the bound', async () => {
      expect(await add(listed, ['ssh-ed25519 AAAAk'])).toEqual({ return: {} });
      const kept = readFileSync(keysFile());
      const line = '\x01'.repeat(63);
      try {
        writeFileSync(keysFile(), `${line}\n`.repeat(MAX_LISTED_KEYS));
        const idle = rssOf(infoOnly.pid);
        resetPeakRss(infoOnly.pid);
        const keys = ((await get(infoOnly)).return as { keys: string[] }).keys;
        expect(keys).toHaveLength(MAX_LISTED_KEYS);
        expect(keys.every((k) => k === line)).toBe(true);
        expect(peakRssOf(infoOnly.pid) - idle).toBeLessThanOrEqual(64 * MiB);
      } finally {
        writeFileSync(keysFile(), kept);
      }
    });

    it('refuses root, a uid-0 account under the default rule, and unlisted users, naming the entry in the log', async () => {
      for (const [agent, username] of [
        [listed, 'root'],
        [listed, 'daemon'],
        [defaults, 'root'],
        [defaults, ROOT_TWIN],
      ] as const) {
        const r = await add(agent, ['ssh-ed25519 AAAAintruder'], false, username);
        expect(r.error?.class, username).toBe('GenericError');
      }
      expect(listed.logs()).toContain(`ssh-keys refused by ${sshEntry}: user "root"`);
      expect(readdirSync(twinHome)).toEqual([]);
    });

    it('changes a uid-0 account only when the entry names it, and the default rule allows other users', async () => {
      expect(await add(listed, ['ssh-ed25519 AAAAtwin'], false, ROOT_TWIN)).toEqual({ return: {} });
      expect(readFileSync(join(twinHome, '.ssh', 'authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAAtwin');
      expect(await add(defaults, ['ssh-ed25519 AAAAdefault'])).toEqual({ return: {} });
      expect(await remove(defaults, ['ssh-ed25519 AAAAdefault'])).toEqual({ return: {} });
    });

    it('is disabled without its entry, while get stays with info', async () => {
      expect(await add(infoOnly, ['k'])).toEqual({ error: { class: 'CommandNotFound', desc: 'Command guest-ssh-add-authorized-keys has been disabled' } });
      expect(await remove(infoOnly, ['k'])).toEqual({ error: { class: 'CommandNotFound', desc: 'Command guest-ssh-remove-authorized-keys has been disabled' } });
      expect((await get(infoOnly)).return).toBeTruthy();
    });

    describe('links the user planted', () => {
      let secret: string;
      let rootDir: string;
      beforeAll(() => {
        secret = join(root, 'root-only');
        writeFileSync(secret, 'root secret\n', { mode: 0o600 });
        rootDir = join(root, 'root-dir');
        mkdirSync(rootDir, { mode: 0o755 });
      });
      /** Runs `ln -s` as the user, as the user would. */
      const plant = (target: string, link: string): void => {
        rmSync(link, { recursive: true, force: true });
        execFileSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', 'ln', '-s', target, link]);
      };

      it('authorized_keys linked to a root file: never read or written as root', async () => {
        plant(secret, keysFile());
        const r = await add(listed, ['ssh-ed25519 AAAAk']);
        expect(r.error?.desc).toBe(`failed to read '${keysFile()}': Failed to open file “${keysFile()}”: Permission denied`);
        expect((await get(infoOnly)).error?.class).toBe('GenericError');
        // reset does not read: the link itself is replaced by the user's file.
        expect(await add(listed, ['ssh-ed25519 AAAAk'], true)).toEqual({ return: {} });
        expect(readFileSync(secret, 'utf8')).toBe('root secret\n');
        expect(statSync(secret).uid).toBe(0);
        expect(lstatSync(keysFile()).isSymbolicLink()).toBe(false);
        expect(statSync(keysFile()).uid).toBe(user.uid);
      });

      it('~/.ssh linked to a root directory: nothing is created there', async () => {
        plant(rootDir, join(user.home, '.ssh'));
        const r = await add(listed, ['ssh-ed25519 AAAAk'], true);
        expect(r.error?.class).toBe('GenericError');
        expect(r.error?.desc).toMatch(/^failed to write to '.*': Failed to create file “.*”: Permission denied$/);
        expect(readdirSync(rootDir)).toEqual([]);
        rmSync(join(user.home, '.ssh'));
      });
    });

    describe('the editor, which is the user’s own process', () => {
      // Installed as the package installs it, the editor is started as the user and is theirs to
      // take descriptors of (pidfd_getfd). From a clone only root can read it loads as root and then
      // drops to the user, which leaves it not dumpable: only root can take its output there, and
      // does, so that the daemon's reading of a held output is tested in both layouts.
      const holder = (): TestUser | undefined => (readableByAll(join(dirname(CLI), 'actions', 'admin', 'authorized-keys-child.js')) ? user : undefined);
      it('a user holding a copy of its output past its end stalls neither the command nor the guest agent', async () => {
        await add(listed, ['ssh-ed25519 AAAAk held'], true);
        const unheld = await get(infoOnly);
        expect(unheld).toEqual({ return: { keys: ['ssh-ed25519 AAAAk held'] } });
        // pidfd_getfd(2) on the editor's standard output: the socket the daemon reads its answer from.
        const grab = grabDescriptor(root, holder(), 'authorized-keys-child', 1);
        try {
          // Each get runs a new editor; the user takes the first one's output (or a later one's).
          for (let i = 0; i < 20 && !grab.held(); i++) expect(await get(infoOnly, USER, 30_000)).toEqual(unheld);
          expect(grab.held()).toBe(true);
          expect(await infoOnly.client.json({ execute: 'guest-ping' }, 30_000)).toEqual({ return: {} });
        } finally {
          await grab.release();
        }
      }, 120_000);

      it('a user writing into its output cannot make the daemon parse more than an answer: 24 MiB of `[{},{},…` around it stays within the bound', async () => {
        await add(listed, ['ssh-ed25519 AAAAk held'], true);
        resetPeakRss(infoOnly.pid);
        const idle = rssOf(infoOnly.pid);
        // Eight million empty objects, then the editor's own answer, then `]`: valid JSON, no answer.
        const grab = grabDescriptor(root, holder(), 'authorized-keys-child', 1, 24 * MiB);
        try {
          for (let i = 0; i < 20 && !grab.held(); i++) {
            const r = await get(infoOnly, USER, 30_000);
            if (grab.held()) expect(r.error?.class).toBe('GenericError');
            else expect(r).toEqual({ return: { keys: ['ssh-ed25519 AAAAk held'] } });
          }
          expect(grab.held()).toBe(true);
          expect(peakRssOf(infoOnly.pid) - idle).toBeLessThanOrEqual(64 * MiB);
        } finally {
          await grab.release();
        }
      }, 120_000);

      it.runIf(existsSync(join(FREEZER, 'cgroup.procs')))('an editor that SIGKILL does not end (stuck in the kernel, as on the user’s own FUSE mount) is let go: the command fails, the guest agent goes on', async () => {
        // A task moved into a frozen cgroup v1 freezer stays there, SIGKILL or not, until thawed.
        const frozen = join(FREEZER, `vdagent-test-${process.pid}`);
        mkdirSync(frozen);
        writeFileSync(join(frozen, 'freezer.state'), 'FROZEN');
        let caught = false;
        try {
          for (let i = 0; i < 20 && !caught; i++) {
            const answer = get(infoOnly, USER, 30_000);
            let settled = false;
            void answer.finally(() => (settled = true)).catch(() => undefined);
            // Watches the daemon's children for the editor while the request runs, and freezes it.
            while (!settled && !caught) {
              const editor = childrenOf(infoOnly.pid).find((pid) => commandLineOf(pid).includes('authorized-keys-child'));
              try {
                if (editor !== undefined) writeFileSync(join(frozen, 'cgroup.procs'), String(editor));
                caught = editor !== undefined;
              } catch {
                // It ended before it could be frozen.
              }
              await new Promise((r) => setImmediate(r));
            }
            const r = await answer;
            if (caught) expect(r.error?.class).toBe('GenericError');
          }
          expect(caught).toBe(true);
          expect(await infoOnly.client.json({ execute: 'guest-ping' }, 30_000)).toEqual({ return: {} });
        } finally {
          writeFileSync(join(frozen, 'freezer.state'), 'THAWED');
          // The thawed editor ends by the SIGKILL it was sent.
          for (;;) {
            try {
              rmdirSync(frozen);
              break;
            } catch {
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        }
      }, 120_000);
    });
  });
});
