import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeActionsDir } from '../support/actions-dir.js';
import { QEMU_GA, startQemuGa, type QemuGa } from '../support/qemu-ga.js';
import type { QgaClient } from '../support/qga-client.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';
import { passwordMatches, shadowHash } from '../support/shadow.js';
import { createTestUser, removeTestUser, type TestUser } from '../support/test-user.js';

const USER = 'vdagent-qgad';
const COMMANDS = ['guest-ssh-get-authorized-keys', 'guest-ssh-add-authorized-keys', 'guest-ssh-remove-authorized-keys', 'guest-set-user-password'];
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** What the user's ~/.ssh looks like: missing, a plain file, empty, or holding authorized_keys with this content. */
type KeysState = { ssh: false | 'file' } | { ssh: true; file?: string };

const STATES: Record<string, KeysState> = {
  'no ~/.ssh': { ssh: false },
  '~/.ssh a plain file': { ssh: 'file' },
  'an empty ~/.ssh': { ssh: true },
  'a file ending in a newline': { ssh: true, file: 'ssh-ed25519 AAAAk1 one\n# a comment\n\n  ssh-rsa AAAAk2 two \t\nssh-ed25519 AAAAk1 one\n' },
  'a file without a final newline': { ssh: true, file: 'ssh-ed25519 AAAAk1 one\nssh-rsa AAAAk2 two' },
  'an empty file': { ssh: true, file: '' },
};

/** Requests on the keys, `USER` standing for the test user; each is sent from every state. */
const KEY_REQUESTS: { execute: string; arguments: Record<string, unknown> }[] = [
  { execute: 'guest-ssh-get-authorized-keys', arguments: { username: USER } },
  { execute: 'guest-ssh-get-authorized-keys', arguments: { username: 'vdagent-nosuch' } },
  { execute: 'guest-ssh-get-authorized-keys', arguments: { username: '' } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER, keys: ['ssh-ed25519 AAAAk3 three', ''] } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER, keys: ['ssh-ed25519 AAAAk1 one', 'ssh-ed25519 AAAAk3 three', 'ssh-ed25519 AAAAk3 three'] } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER, keys: ['ssh-ed25519 AAAAk4 four', ''], reset: true } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER, keys: [], reset: false } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER, keys: ['ok', '#comment'] } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER, keys: ['a\nb'] } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: 'vdagent-nosuch', keys: ['k'] } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: 'vdagent-nosuch', keys: ['#k'] } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER } },
  { execute: 'guest-ssh-add-authorized-keys', arguments: { username: USER, keys: 'k' } },
  { execute: 'guest-ssh-remove-authorized-keys', arguments: { username: USER, keys: ['ssh-ed25519 AAAAk1 one', 'ssh-ed25519 AAAAabsent'] } },
  { execute: 'guest-ssh-remove-authorized-keys', arguments: { username: USER, keys: [''] } },
  { execute: 'guest-ssh-remove-authorized-keys', arguments: { username: USER, keys: ['#x'] } },
  { execute: 'guest-ssh-remove-authorized-keys', arguments: { username: 'vdagent-nosuch', keys: [] } },
];

/**
 * The same account requests to vdagent and to Debian's qemu-ga 7.2, on one real throw-away user:
 * each request is sent to one agent, the result (answer, file content, owner and modes) recorded,
 * the user's state restored, and the request sent to the other agent.
 */
describe.skipIf(!existsSync(QEMU_GA) || process.getuid?.() !== 0)('account commands: vdagent and Debian qemu-ga 7.2 alike (needs root and the qemu-guest-agent package)', () => {
  let dir: string;
  let user: TestUser;
  let ours: QgaDaemon;
  let theirs: QemuGa;
  const ssh = (): string => join(user.home, '.ssh');

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-users-'));
    chmodSync(dir, 0o755);
    user = createTestUser(USER, join(dir, 'home'));
    const actions = join(dir, 'actions.d');
    mkdirSync(actions, { mode: 0o755 });
    for (const entry of ['info', 'ssh-keys', 'set-user-password']) writeFileSync(join(actions, entry), '', { mode: 0o644 });
    [ours, theirs] = await Promise.all([startQgaDaemon({ actionsDirs: [actions] }), startQemuGa(join(dir, 'qemu-ga'))]);
  }, 30_000);

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    removeTestUser(USER);
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${ours.logs()}\n`);
  });

  /** Puts the user's ~/.ssh in a state (as the user would have made it). */
  const prepare = (state: KeysState): void => {
    rmSync(ssh(), { recursive: true, force: true });
    if (state.ssh === 'file') writeFileSync(ssh(), 'not a directory\n');
    if (state.ssh !== true) return;
    mkdirSync(ssh(), { mode: 0o700 });
    chownSync(ssh(), user.uid, user.gid);
    if (state.file === undefined) return;
    writeFileSync(join(ssh(), 'authorized_keys'), state.file, { mode: 0o600 });
    chownSync(join(ssh(), 'authorized_keys'), user.uid, user.gid);
  };

  /** Everything one request left: the answer, and ~/.ssh with its owner and modes. */
  const outcome = async (client: QgaClient, request: object): Promise<unknown> => {
    const answer = await client.json(request);
    const stat = (p: string) => (existsSync(p) ? { uid: statSync(p).uid, gid: statSync(p).gid, mode: statSync(p).mode & 0o7777 } : 'missing');
    const file = join(ssh(), 'authorized_keys');
    return { answer, ssh: stat(ssh()), file: stat(file), content: existsSync(file) ? readFileSync(file, 'utf8') : undefined, entries: existsSync(ssh()) ? execFileSync('ls', ['-A', ssh()], { encoding: 'utf8' }) : '' };
  };

  it('qemu-ga 7.2 offers all four commands, enabled', async () => {
    const info = (await theirs.client.json({ execute: 'guest-info' })).return as { supported_commands: { name: string; enabled: boolean }[] };
    for (const name of COMMANDS) expect(info.supported_commands.find((c) => c.name === name), name).toMatchObject({ enabled: true });
  });

  for (const [label, state] of Object.entries(STATES)) {
    it(`edits and reads authorized_keys alike, starting from ${label}`, async () => {
      for (const request of KEY_REQUESTS) {
        prepare(state);
        const mine = await outcome(ours.client, request);
        prepare(state);
        const qemus = await outcome(theirs.client, request);
        expect(mine, JSON.stringify(request)).toEqual(qemus);
      }
    });
  }

  it('sets passwords alike: plain ones hashed by chpasswd, crypted ones stored as sent', async () => {
    const plain = { execute: 'guest-set-user-password', arguments: { username: USER, password: b64('correct horse'), crypted: false } };
    for (const client of [ours.client, theirs.client]) {
      execFileSync('usermod', ['-p', '!', USER]);
      expect(await client.json(plain)).toEqual({ return: {} });
      expect(passwordMatches('correct horse', shadowHash(USER) ?? '')).toBe(true);
    }
    const hash = execFileSync('perl', ['-e', 'print crypt("battery staple", q($6$vdagentdiff$))'], { encoding: 'utf8' });
    const crypted = { execute: 'guest-set-user-password', arguments: { username: USER, password: b64(hash), crypted: true } };
    for (const client of [ours.client, theirs.client]) {
      execFileSync('usermod', ['-p', '!', USER]);
      expect(await client.json(crypted)).toEqual({ return: {} });
      expect(shadowHash(USER)).toBe(hash);
    }
  });

  it('refuses and fails alike', async () => {
    const requests = [
      { username: USER, password: b64('a\nb'), crypted: false },
      { username: `${USER}:x`, password: b64('pw'), crypted: false },
      { username: `${USER}\nx`, password: b64('pw'), crypted: false },
      { username: `${USER}:x`, password: b64('a\nb'), crypted: false },
      { username: USER, password: '!!', crypted: false },
      { username: USER, password: '', crypted: false },
      { username: 'vdagent-nosuch', password: b64('pw'), crypted: false },
      { username: USER, password: b64('pw') },
      { username: USER, password: b64('pw'), crypted: 'yes' },
    ];
    for (const args of requests) {
      execFileSync('usermod', ['-p', '!', USER]);
      const request = { execute: 'guest-set-user-password', arguments: args };
      const mine = await ours.client.json(request);
      const qemus = await theirs.client.json(request);
      expect(mine, JSON.stringify(args)).toEqual(qemus);
      expect(mine.error?.class).toBe('GenericError');
      expect(shadowHash(USER)).toBe('!');
    }
  });

  it('differs on purpose for a NUL in the password: qemu-ga sets what comes before it, vdagent refuses', async () => {
    const request = { execute: 'guest-set-user-password', arguments: { username: USER, password: b64('pass\0word'), crypted: false } };
    execFileSync('usermod', ['-p', '!', USER]);
    expect((await ours.client.json(request)).error?.class).toBe('GenericError');
    expect(shadowHash(USER)).toBe('!');
    expect(await theirs.client.json(request)).toEqual({ return: {} });
    expect(passwordMatches('pass', shadowHash(USER) ?? '')).toBe(true);
  });
});

/** One glibc struct utmp record (64-bit Linux): type, pid, line, id, user, host and login time. */
function utmpRecord(type: number, user: string, sec: number, usec: number): Buffer {
  const record = Buffer.alloc(384);
  record.writeInt16LE(type, 0);
  record.writeInt32LE(1234, 4);
  record.write('pts/1', 8);
  record.write('ts/1', 40);
  record.write(user, 44);
  record.write('host', 76);
  record.writeInt32LE(sec, 340);
  record.writeInt32LE(usec, 344);
  return record;
}

/**
 * guest-get-users (virsh guestinfo --user, KubeVirt) from the same utmp: both agents in a private
 * mount namespace with a tmpfs on /run holding it.
 */
describe.skipIf(!existsSync(QEMU_GA) || process.getuid?.() !== 0)('logged-in users alike from the same utmp (needs root and the qemu-guest-agent package)', () => {
  let dir: string;
  let ours: QgaDaemon;
  let theirs: QemuGa;

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-utmp-'));
    chmodSync(dir, 0o755);
    const utmp = join(dir, 'utmp');
    const [BOOT_TIME, LOGIN_PROCESS, USER_PROCESS, DEAD_PROCESS] = [2, 6, 7, 8];
    writeFileSync(
      utmp,
      Buffer.concat([
        utmpRecord(BOOT_TIME, 'reboot', 1, 0),
        utmpRecord(USER_PROCESS, 'alice', 1_700_000_000, 500_000),
        utmpRecord(LOGIN_PROCESS, 'LOGIN', 5, 0),
        utmpRecord(USER_PROCESS, 'bob', 1_700_000_100, 250_000),
        utmpRecord(DEAD_PROCESS, 'carol', 1_700_000_200, 0),
        utmpRecord(USER_PROCESS, 'alice', 1_699_999_999, 1),
        utmpRecord(USER_PROCESS, 'dave', 1_700_000_300, 999_999),
        utmpRecord(USER_PROCESS, '\u00e9mile', 1_700_000_400, 123_456),
        utmpRecord(USER_PROCESS, 'bob', 1_700_000_050, 0),
      ]),
    );
    const prefix = ['/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount -t tmpfs none /run && cp "$0" /run/utmp && exec "$@"', utmp];
    const actions = makeActionsDir(dir, { info: '' });
    [ours, theirs] = await Promise.all([startQgaDaemon({ actionsDirs: [actions], prefix }), startQemuGa(join(dir, 'qemu-ga'), {}, prefix)]);
  });

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists each user once, with the earliest login to the microsecond, in the same order', async () => {
    const request = '{"execute":"guest-get-users"}';
    const mine = await ours.client.call(request);
    expect(mine).toBe(await theirs.client.call(request));
    expect((JSON.parse(mine) as { return: { user: string }[] }).return.map((u) => u.user)).toEqual(['alice', 'bob', 'dave', '\u00e9mile']);
  });
});
