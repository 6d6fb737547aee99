import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadActions } from '../../src/actions/actions-d.js';
import { AdminCommands } from '../../src/actions/admin/commands.js';
import type { Freezer } from '../../src/actions/admin/freezer.js';
import { QgaDaemon as QgaService } from '../../src/daemon/qga-daemon.js';
import { openPortFor } from '../../src/transport/open-port.js';
import { runGuestExec, waitExit } from '../support/guest-exec.js';
import { holdWrite } from '../support/held-write.js';
import { memoryLogger } from '../support/log.js';
import type { QgaClient } from '../support/qga-client.js';
import { openQgaPty, startQgaDaemon, type QgaDaemon, type QgaPty } from '../support/qga-harness.js';
import { inIoctl } from '../support/proc.js';
import { canLoopMount, withScratchFs } from '../support/scratch-fs.js';
import { spiceServedWhile } from '../support/ports-served.js';
import { pattern } from '../unit/transport/helpers.js';

/** An error line as qemu-ga writes it; `desc` is given as it appears on the wire (escapes included). */
const err = (cls: string, desc: string): string => `{"error": {"class": "${cls}", "desc": "${desc}"}}`;
/** statfs(2)'s f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;
const generic = (desc: string): string => err('GenericError', desc);
const notFound = (desc: string): string => err('CommandNotFound', desc);
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

/** A file of `text` with `mode`, owned by us (actions.d refuses others' files when root). */
function write(path: string, text: string, mode = 0o644): string {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}

describe('the daemon process serving the QEMU guest agent on a pty', () => {
  let root: string;
  let record: string;
  let agent: QgaDaemon;

  beforeAll(async () => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-'));
    chmodSync(root, 0o755);
    const vendor = join(root, 'vendor');
    const admin = join(root, 'admin');
    const hooks = join(root, 'hooks');
    record = join(root, 'record');
    for (const dir of [vendor, admin, hooks]) mkdirSync(dir, { mode: 0o755 });
    write(join(vendor, 'info'), '');
    // Records its arguments; fails once a "fail" file exists.
    const recorder = `#!/bin/sh\necho "$(basename "$0") $*" >> ${record}\n[ ! -e ${root}/fail ]\n`;
    write(join(admin, 'shutdown'), recorder, 0o755);
    write(join(root, 'hwclock'), recorder, 0o755);
    write(join(hooks, '10-first'), recorder, 0o755);
    write(join(hooks, '20-second'), recorder, 0o755);
    write(join(hooks, '30-backup~'), recorder, 0o755);
    write(join(hooks, '40-not-executable'), recorder, 0o644);
    write(join(admin, 'exec'), '# allowed programs\n/bin/echo\n/bin/cat\n/bin/sh\n/usr/bin/head # for the output cap\nenv = FOO\n');
    write(join(admin, 'file'), '');
    write(join(admin, 'set-time'), `hwclock = ${root}/hwclock\n`);
    write(join(admin, 'fsfreeze'), `hook-dir = ${hooks}\n`);
    // On, but changing no user (qga-users.test.ts tests them).
    write(join(admin, 'ssh-keys'), 'users =\n');
    write(join(admin, 'set-user-password'), 'users =\n');
    // Enabled for guest-info only; qga-system.test.ts runs them against a sysfs stand-in.
    for (const action of ['fstrim', 'suspend', 'set-vcpus', 'set-memory-blocks']) write(join(admin, action), '');
    write(join(root, 'os-release'), 'NAME="Test \\"OS\\""\nID=test os\nVERSION_ID=\'1 2\'\n# PRETTY_NAME=no\n');
    agent = await startQgaDaemon({ actionsDirs: [vendor, admin], env: { QGA_OS_RELEASE: join(root, 'os-release') } });
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    write(record, '');
    await agent.client.sync();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
  });

  const recorded = (): string[] => readFileSync(record, 'utf8').split('\n').filter(Boolean);

  describe('framing', () => {
    it('reads a stream of JSON values: several in one write, one over several writes, no newlines needed', async () => {
      const { client } = agent;
      await client.send('{"execute":"guest-ping"}{"execute":"guest-sync","arguments":{"id":7}}');
      expect((await client.next()).text).toBe('{"return": {}}');
      expect((await client.next()).text).toBe('{"return": 7}');
      await client.send('{"execute":"guest-');
      expect(await client.quietFor(200)).toBe(true);
      await client.send('ping" ,\t"id"\r\n:"abc"}');
      expect((await client.next()).text).toBe('{"return": {}, "id": "abc"}');
    });

    it('accepts single-quoted strings and echoes any id, on errors first', async () => {
      expect(await agent.client.call("{'execute':'guest-ping','id':'\\u00e9'}")).toBe('{"return": {}, "id": "\\u00E9"}');
      expect(await agent.client.call('{"execute":"guest-nonexistent","id":{"a":[1]}}')).toBe(
        '{"id": {"a": [1]}, "error": {"class": "CommandNotFound", "desc": "The command guest-nonexistent has not been found"}}',
      );
    });

    it('answers guest-sync with the id and guest-sync-delimited with a 0xFF byte first', async () => {
      expect(await agent.client.call('{"execute":"guest-sync","arguments":{"id":9223372036854775807}}')).toBe('{"return": 9223372036854775807}');
      expect(await agent.client.call('{"execute":"guest-sync","arguments":{"id":-1}}')).toBe('{"return": -1}');
      await agent.client.send('{"execute":"guest-sync-delimited","arguments":{"id":1},"id":"x"}');
      expect(await agent.client.next()).toEqual({ text: '{"return": 1, "id": "x"}', delimited: true });
    });

    it('resynchronises on 0xFF: a partial request is dropped with one error per 0xFF byte', async () => {
      const { client } = agent;
      await client.send('{"execute":"gue');
      await client.send('\xff');
      expect((await client.next()).text).toBe(generic(`JSON parse error, stray '\\"gue\\uFFFD'`));
      await client.send('\xff\xff\n');
      expect((await client.next()).text).toBe(generic("JSON parse error, stray '\\uFFFD'"));
      expect((await client.next()).text).toBe(generic("JSON parse error, stray '\\uFFFD'"));
      await client.send('\xff{"execute":"guest-sync-delimited","arguments":{"id":987654321}}\n');
      expect((await client.next()).text).toBe(generic("JSON parse error, stray '\\uFFFD'"));
      expect(await client.next()).toEqual({ text: '{"return": 987654321}', delimited: true });
    });
  });

  describe('bad input is answered like qemu-ga, and serving goes on', () => {
    it.each([
      ['malformed JSON', 'garbage\n', generic("JSON parse error, invalid keyword 'garbage'")],
      ['a duplicate key', '{"execute":"guest-sync","arguments":{"id":5,"id":6}}', generic('JSON parse error, duplicate key')],
      ['not an object', '[1,2]', generic('QMP input must be a JSON object')],
      ['no execute', '{}', generic("QMP input lacks member 'execute'")],
      ['an unexpected member', '{"execute":"guest-ping","bogus":1}', generic("QMP input member 'bogus' is unexpected")],
      ['arguments not an object', '{"execute":"guest-ping","arguments":null}', generic("QMP input member 'arguments' must be an object")],
      ['an unknown command', '{"execute":"guest-nonexistent"}', notFound('The command guest-nonexistent has not been found')],
      ['a missing argument', '{"execute":"guest-sync"}', generic("Parameter 'id' is missing")],
      ['an unexpected argument', '{"execute":"guest-ping","arguments":{"foo":1}}', generic("Parameter 'foo' is unexpected")],
      ['a float for an integer', '{"execute":"guest-sync","arguments":{"id":1.5}}', generic("Invalid parameter type for 'id', expected: integer")],
      ['an integer beyond 64 bits', '{"execute":"guest-sync","arguments":{"id":18446744073709551615}}', generic("Invalid parameter type for 'id', expected: integer")],
      ['a string for a list', '{"execute":"guest-exec","arguments":{"path":"/bin/echo","arg":"x"}}', generic("Invalid parameter type for 'arg', expected: array")],
      ['a wrong list element', '{"execute":"guest-exec","arguments":{"path":"/bin/echo","arg":["a",1]}}', generic("Invalid parameter type for 'arg[1]', expected: string")],
      ['a bad enum value', '{"execute":"guest-file-seek","arguments":{"handle":1,"offset":0,"whence":"bogus"}}', generic("Parameter 'whence' does not accept value 'bogus'")],
    ])('%s', async (_, input, answer) => {
      expect(await agent.client.call(input)).toBe(answer);
      expect(await agent.client.call('{"execute":"guest-ping"}')).toBe('{"return": {}}');
    });

    it('refuses nesting 10,000 deep with the nesting limit, without blowing its stack', async () => {
      const { client } = agent;
      await client.send(`${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
      const answers = new Map<string, number>();
      for (let i = 0; i < 9 + 1 + 9225; i++) {
        const { text } = await client.next();
        answers.set(text, (answers.get(text) ?? 0) + 1);
      }
      // As qemu-ga: a depth error per 1025 openings, the 775-deep rest, then each unmatched closing.
      expect(answers).toEqual(
        new Map([
          [generic('JSON nesting depth limit exceeded'), 9],
          [generic('QMP input must be a JSON object'), 1],
          [generic('JSON parse error, expecting value'), 9225],
        ]),
      );
      await client.sync();
    });

    it('refuses a 100 MiB string at the token ceiling (32 MiB of memory), before it has all arrived', async () => {
      const { client } = agent;
      await client.send('{"execute":"guest-ping","id":"');
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let refusedAt: number | undefined;
      const refused = client.next(60_000).then((line) => {
        refusedAt = sent;
        return line.text;
      });
      let sent = 0;
      for (; sent < 100; sent++) await client.send(chunk);
      await client.send('"}\n');
      expect(await refused).toBe(generic('JSON token size limit exceeded'));
      // The pty holds only kilobytes: the answer came while the rest of the string was still on its way.
      expect(refusedAt).toBeLessThan(100);
      await client.sync(30_000);
    }, 60_000);
  });

  describe('always-on and info commands', () => {
    it('guest-info lists every command with enabled and success-response', async () => {
      const info = (await agent.client.json('{"execute":"guest-info"}')).return as { version: string; supported_commands: { name: string; enabled: boolean; 'success-response': boolean }[] };
      expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
      const byName = new Map(info.supported_commands.map((c) => [c.name, c]));
      expect(byName.get('guest-shutdown')).toEqual({ enabled: true, name: 'guest-shutdown', 'success-response': false });
      expect(byName.get('guest-exec')?.enabled).toBe(true);
      expect(byName.get('guest-sync-delimited')?.enabled).toBe(true);
      expect([...byName.keys()]).toContain('guest-fsfreeze-freeze-list');
      // With every entry on, all are enabled but guest-get-devices, which qemu-ga serves on Windows only.
      expect(info.supported_commands.filter((c) => !c.enabled).map((c) => c.name)).toEqual(['guest-get-devices']);
    });

    it('guest-get-host-name, -time, -timezone, -osinfo, -users, -fsinfo, network interfaces', async () => {
      const { client } = agent;
      expect((await client.json('{"execute":"guest-get-host-name"}')).return).toEqual({ 'host-name': os.hostname() });
      const time = Number(/^\{"return": (\d+)\}$/.exec(await client.call('{"execute":"guest-get-time"}'))?.[1]);
      expect(Math.abs(time / 1e6 - Date.now())).toBeLessThan(5000);
      expect((await client.json('{"execute":"guest-get-timezone"}')).return).toMatchObject({ offset: -new Date().getTimezoneOffset() * 60 || 0 });
      expect((await client.json('{"execute":"guest-get-osinfo"}')).return).toEqual({
        'kernel-release': os.release(),
        'kernel-version': os.version(),
        machine: os.machine(),
        name: 'Test "OS"',
        id: 'test',
        'version-id': "'1",
      });
      expect(Array.isArray((await client.json('{"execute":"guest-get-users"}')).return)).toBe(true);
      const fs = (await client.json('{"execute":"guest-get-fsinfo"}')).return as { mountpoint: string; name: string; type: string; disk: unknown[] }[];
      expect(fs.find((f) => f.mountpoint === '/')).toMatchObject({ type: expect.any(String), name: expect.any(String), disk: expect.any(Array) });
      const nics = (await client.json('{"execute":"guest-network-get-interfaces"}')).return as { name: string; 'ip-addresses'?: { 'ip-address': string }[] }[];
      expect(nics.find((n) => n.name === 'lo')?.['ip-addresses']?.map((a) => a['ip-address'])).toContain('127.0.0.1');
    });
  });

  describe('shutdown', () => {
    it('runs the entry with the mode and answers nothing on success', async () => {
      const { client } = agent;
      await client.send('{"execute":"guest-shutdown","arguments":{"mode":"reboot"}}');
      await client.send('{"execute":"guest-shutdown"}');
      expect(await client.call('{"execute":"guest-ping"}')).toBe('{"return": {}}');
      expect(recorded()).toEqual(['shutdown reboot', 'shutdown powerdown']);
    });

    it('refuses an unknown mode and reports a failing entry', async () => {
      expect(await agent.client.call('{"execute":"guest-shutdown","arguments":{"mode":"bogus"}}')).toBe(
        generic('mode is invalid (valid values are: halt|powerdown|reboot'),
      );
      write(join(root, 'fail'), '');
      try {
        expect(await agent.client.call('{"execute":"guest-shutdown","arguments":{"mode":"halt"}}')).toBe(generic('child process has failed to shutdown'));
      } finally {
        rmSync(join(root, 'fail'));
      }
      expect(recorded()).toEqual(['shutdown halt']);
    });
  });

  describe('exec', () => {
    it('runs an allowed program by argument vector and captures its output', async () => {
      const status = await runGuestExec(agent.client, { path: '/bin/echo', arg: ['hello', '$HOME', '; ls'], 'capture-output': true });
      expect(status).toEqual({ exited: true, exitcode: 0, 'out-data': b64('hello $HOME ; ls\n'), 'out-truncated': false });
    });

    it('passes input data, the exit code, the signal, and the accepted environment over a fixed one', async () => {
      const { client } = agent;
      expect(await runGuestExec(client, { path: '/bin/cat', 'input-data': b64('piped input\n'), 'capture-output': true })).toMatchObject({ 'out-data': b64('piped input\n') });
      expect(await runGuestExec(client, { path: '/bin/sh', arg: ['-c', 'echo out; echo err >&2; exit 3'], 'capture-output': true })).toEqual({
        exited: true,
        exitcode: 3,
        'out-data': b64('out\n'),
        'out-truncated': false,
        'err-data': b64('err\n'),
        'err-truncated': false,
      });
      expect(await runGuestExec(client, { path: '/bin/sh', arg: ['-c', 'kill -TERM $$'] })).toEqual({ exited: true, signal: 15 });
      expect(await runGuestExec(client, { path: 'sh', arg: ['-c', 'echo "$0:$FOO:$HOME:$PATH:$LANG"'], env: ['FOO=bar'], 'capture-output': true })).toMatchObject({
        'out-data': b64('/bin/sh:bar::/usr/sbin:/usr/bin:/sbin:/bin:C.UTF-8\n'),
      });
    });

    it('captures merged or one stream with capture-output modes', async () => {
      const script = { path: '/bin/sh', arg: ['-c', 'echo out; echo err >&2'] };
      expect(await runGuestExec(agent.client, { ...script, 'capture-output': 'merged' })).toMatchObject({ 'out-data': b64('out\nerr\n') });
      const stderrOnly = await runGuestExec(agent.client, { ...script, 'capture-output': 'stderr' });
      expect(stderrOnly).toMatchObject({ 'err-data': b64('err\n') });
      expect(stderrOnly['out-data']).toBeUndefined();
    });

    it('caps captured output at 16 MiB and flags it truncated', async () => {
      const status = await runGuestExec(agent.client, { path: '/usr/bin/head', arg: ['-c', '17000000', '/dev/zero'], 'capture-output': true });
      expect(Buffer.from(status['out-data'] as string, 'base64').length).toBe(16 * 1024 * 1024);
      expect(status['out-truncated']).toBe(true);
    });

    it('refuses a program not in the exec list, and forgets a pid once its exit was reported', async () => {
      const { client } = agent;
      expect(await client.call({ execute: 'guest-exec', arguments: { path: '/usr/bin/id' } })).toBe(
        generic("Guest agent command failed, error was 'program \\u201C/usr/bin/id\\u201D is not allowed by actions.d exec'"),
      );
      const { pid } = (await client.json({ execute: 'guest-exec', arguments: { path: '/bin/echo' } })).return as { pid: number };
      await waitExit(client, pid);
      expect(await client.call({ execute: 'guest-exec-status', arguments: { pid } })).toBe(generic("Invalid parameter 'pid'"));
    });
  });

  describe('file', () => {
    it('copies a file in, byte-exact, created with mode 0600', async () => {
      const { client } = agent;
      const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), pattern(3 * 1024 * 1024 + 17, 7)]);
      const path = join(root, 'copied-in');
      const handle = (await client.json({ execute: 'guest-file-open', arguments: { path, mode: 'w' } })).return as number;
      expect(handle).toBeGreaterThanOrEqual(1000);
      for (let at = 0; at < data.length; at += 1024 * 1024) {
        const piece = data.subarray(at, at + 1024 * 1024);
        expect((await client.json({ execute: 'guest-file-write', arguments: { handle, 'buf-b64': piece.toString('base64') } })).return).toEqual({ count: piece.length, eof: false });
      }
      expect((await client.json({ execute: 'guest-file-flush', arguments: { handle } })).return).toEqual({});
      expect((await client.json({ execute: 'guest-file-close', arguments: { handle } })).return).toEqual({});
      expect(readFileSync(path).equals(data)).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    });

    it('copies a file out, byte-exact', async () => {
      const { client } = agent;
      const data = pattern(5 * 1024 * 1024 + 3, 11);
      const path = write(join(root, 'copied-out'), '');
      writeFileSync(path, data);
      const handle = (await client.json({ execute: 'guest-file-open', arguments: { path } })).return as number;
      const pieces: Buffer[] = [];
      for (;;) {
        const r = (await client.json({ execute: 'guest-file-read', arguments: { handle, count: 2 * 1024 * 1024 } })).return as { count: number; 'buf-b64': string; eof: boolean };
        pieces.push(Buffer.from(r['buf-b64'], 'base64'));
        if (r.eof) break;
      }
      await client.json({ execute: 'guest-file-close', arguments: { handle } });
      expect(Buffer.concat(pieces).equals(data)).toBe(true);
    });

    it('seeks, reads and writes like qemu-ga, and answers its errors', async () => {
      const { client } = agent;
      const path = join(root, 'test.txt');
      const handle = (await client.json({ execute: 'guest-file-open', arguments: { path, mode: 'w+' } })).return as number;
      const call = (execute: string, args: object = {}): Promise<string> => client.call({ execute, arguments: { handle, ...args } });
      expect(await call('guest-file-write', { 'buf-b64': 'aGVsbG8gcWdhCg==' })).toBe('{"return": {"count": 10, "eof": false}}');
      expect(await call('guest-file-write', { 'buf-b64': 'QUJDREVG', count: 3 })).toBe('{"return": {"count": 3, "eof": false}}');
      expect(await call('guest-file-seek', { offset: 0, whence: 'set' })).toBe('{"return": {"eof": false, "position": 0}}');
      expect(await call('guest-file-read', { count: 5 })).toBe('{"return": {"count": 5, "buf-b64": "aGVsbG8=", "eof": false}}');
      expect(await call('guest-file-read')).toBe('{"return": {"count": 8, "buf-b64": "IHFnYQpBQkM=", "eof": true}}');
      expect(await call('guest-file-read')).toBe('{"return": {"count": 0, "buf-b64": "", "eof": true}}');
      expect(await call('guest-file-seek', { offset: -4, whence: 2 })).toBe('{"return": {"eof": false, "position": 9}}');
      expect(await call('guest-file-seek', { offset: 0, whence: 7 })).toBe(generic('invalid whence code 7'));
      expect(await call('guest-file-read', { count: 48 * 1024 * 1024 + 1 })).toBe(generic("value '50331649' is invalid for argument count"));
      expect(await call('guest-file-write', { 'buf-b64': 'QUJD', count: 10 })).toBe(generic("value '10' is invalid for argument count"));
      expect(await call('guest-file-write', { 'buf-b64': '!!' })).toBe(generic('Base64 data contains invalid characters'));
      expect(await call('guest-file-close')).toBe('{"return": {}}');
      expect(await call('guest-file-close')).toBe(generic(`handle '${handle}' has not been found`));
      expect(await client.call({ execute: 'guest-file-open', arguments: { path: join(root, 'nonexistent/file') } })).toBe(
        generic(`failed to open file '${root}/nonexistent/file' (mode: 'r'): No such file or directory`),
      );
      expect(await client.call({ execute: 'guest-file-open', arguments: { path, mode: 'rw' } })).toBe(generic("invalid file open mode 'rw'"));
    });
  });

  describe.runIf(existsSync('/dev/shm') && statfsSync('/dev/shm').type === TMPFS_MAGIC)('file offsets past 2^53 (a tmpfs file reaches 2^63 - 1; /dev/shm)', () => {
    let shm: string;
    beforeEach(() => (shm = mkdtempSync('/dev/shm/qga-seek-')));
    afterEach(() => rmSync(shm, { recursive: true, force: true }));

    it('seeks to the exact offset asked, answers it, and writes there', async () => {
      const { client } = agent;
      const path = join(shm, 'sparse');
      const handle = (await client.json({ execute: 'guest-file-open', arguments: { path, mode: 'w+' } })).return as number;
      const call = (args: string): Promise<string> => client.call(`{"execute":"guest-file-seek","arguments":{"handle":${handle},${args}}}`);
      expect(await call('"offset":9007199254740993,"whence":"set"')).toBe('{"return": {"eof": false, "position": 9007199254740993}}');
      expect(await client.call({ execute: 'guest-file-write', arguments: { handle, 'buf-b64': 'QQ==' } })).toBe('{"return": {"count": 1, "eof": false}}');
      expect(await call('"offset":0,"whence":"cur"')).toBe('{"return": {"eof": false, "position": 9007199254740994}}');
      expect(await call('"offset":-1,"whence":"end"')).toBe('{"return": {"eof": false, "position": 9007199254740993}}');
      expect(await client.call({ execute: 'guest-file-close', arguments: { handle } })).toBe('{"return": {}}');
      expect(statSync(path, { bigint: true }).size).toBe(9007199254740994n);
    });
  });

  describe('set-time', () => {
    it('without a time, sets the system clock from the RTC with hwclock -s', async () => {
      expect(await agent.client.call('{"execute":"guest-set-time"}')).toBe('{"return": {}}');
      expect(recorded()).toEqual(['hwclock -s']);
    });

    it('refuses times outside 1970 to 2069 before touching the clock', async () => {
      expect(await agent.client.call('{"execute":"guest-set-time","arguments":{"time":-1000000000000000000}}')).toBe(generic('Invalid time'));
      expect(await agent.client.call('{"execute":"guest-set-time","arguments":{"time":4000000000000000000}}')).toBe(generic('Invalid time'));
      expect(recorded()).toEqual([]);
    });
  });

  describe('fsfreeze', () => {
    it('thaws nothing when nothing is frozen, running the thaw hooks in descending order', async () => {
      expect(await agent.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
      expect(await agent.client.call('{"execute":"guest-fsfreeze-thaw"}')).toBe('{"return": 0}');
      expect(recorded()).toEqual(['20-second thaw', '10-first thaw']);
    });

    it.skipIf(!canLoopMount)('freezes a loop-mounted scratch filesystem; until thaw only the freeze allow-list answers', async () => {
      const { client } = agent;
      await withScratchFs(async (dir) => {
        expect(await client.call({ execute: 'guest-fsfreeze-freeze-list', arguments: { mountpoints: [dir, '/not/a/mount'] } })).toBe('{"return": 1}');
        expect(recorded()).toEqual(['10-first freeze', '20-second freeze']);
        expect(await client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
        expect(await client.call('{"execute":"guest-get-time"}')).toBe(notFound('Command guest-get-time has been disabled: the agent is in frozen state'));
        expect(await client.call('{"execute":"guest-fsfreeze-freeze"}')).toBe(notFound('Command guest-fsfreeze-freeze has been disabled: the agent is in frozen state'));
        const info = (await client.json('{"execute":"guest-info"}')).return as { supported_commands: { name: string; enabled: boolean }[] };
        expect(info.supported_commands.filter((c) => c.enabled).map((c) => c.name).sort()).toEqual([
          'guest-fsfreeze-status',
          'guest-fsfreeze-thaw',
          'guest-info',
          'guest-ping',
          'guest-sync',
          'guest-sync-delimited',
        ]);
        expect(await client.call('{"execute":"guest-fsfreeze-thaw"}')).toBe('{"return": 1}');
        expect(await client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
        writeFileSync(join(dir, 'writable-again'), 'yes');
      });
    });

    it.skipIf(!canLoopMount)('serves the SPICE port while a freeze waits in the kernel: FIFREEZE runs off the event loop', async () => {
      const { client } = agent;
      const bin = mkdtempSync(join(os.tmpdir(), 'held-write-'));
      await withScratchFs(async (dir) => {
        // A write held inside the filesystem: FIFREEZE waits for it, as for a long write-back.
        const held = await holdWrite(bin, join(dir, 'held'));
        const answer = client.call({ execute: 'guest-fsfreeze-freeze-list', arguments: { mountpoints: [dir] } }, 60_000);
        let served: boolean;
        try {
          served = await spiceServedWhile(agent.spice, () => inIoctl(agent.pid));
        } finally {
          await held.release();
        }
        expect(await answer).toBe('{"return": 1}');
        expect(await client.call('{"execute":"guest-fsfreeze-thaw"}')).toBe('{"return": 1}');
        // Frozen on the event loop, the daemon answered the client only once the freeze was done.
        expect(served).toBe(true);
      });
      rmSync(bin, { recursive: true, force: true });
    }, 60_000);
  });
});

describe('the daemon with only the vendor entries', () => {
  let root: string;
  let agent: QgaDaemon;

  beforeAll(async () => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-vendor-'));
    chmodSync(root, 0o755);
    write(join(root, 'info'), '');
    agent = await startQgaDaemon({ actionsDirs: [root] });
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers admin commands exactly like disabled commands of qemu-ga, before checking arguments', async () => {
    for (const execute of ['guest-exec', 'guest-file-open', 'guest-shutdown', 'guest-set-time', 'guest-fsfreeze-freeze', 'guest-ssh-add-authorized-keys', 'guest-set-user-password']) {
      expect(await agent.client.call({ execute, arguments: { bogus: 1 } })).toBe(notFound(`Command ${execute} has been disabled`));
    }
    const info = (await agent.client.json('{"execute":"guest-info"}')).return as { supported_commands: { name: string; enabled: boolean }[] };
    const disabled = info.supported_commands.filter((c) => !c.enabled).map((c) => c.name);
    expect(disabled).toContain('guest-exec');
    expect(disabled).not.toContain('guest-get-osinfo');
  });

  it('enables an admin action linked in after a reload', async () => {
    write(join(root, 'exec'), '/bin/echo\n');
    process.kill(agent.pid, 'SIGHUP');
    await expect.poll(async () => (await agent.client.json({ execute: 'guest-exec', arguments: { path: '/bin/echo' } })).error, { timeout: 5000 }).toBeUndefined();
  });
});

describe('the service in-process, with a recording freezer and clock', () => {
  let root: string;
  let qga: QgaPty;
  let client: QgaClient;
  let service: QgaService;
  const calls: string[] = [];
  const frozen = new Map<string, number>();
  let failOn: string | undefined;

  const freezer: Freezer = {
    mountpoints: () => ['/', '/var', '/var/lib/db'],
    async freeze(dirs) {
      let count = 0;
      for (const dir of dirs) {
        calls.push(`freeze ${dir}`);
        if (dir === failOn) return { frozen: count, error: `failed to freeze ${dir}: Input/output error` };
        frozen.set(dir, (frozen.get(dir) ?? 0) + 1);
        count++;
      }
      return { frozen: count };
    },
    thaw(dir) {
      const n = frozen.get(dir) ?? 0;
      if (n === 0) return false;
      calls.push(`thaw ${dir}`);
      frozen.set(dir, n - 1);
      return true;
    },
  };

  beforeAll(async () => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-seam-'));
    chmodSync(root, 0o755);
    const hooks = join(root, 'hooks');
    mkdirSync(hooks, { mode: 0o755 });
    const hook = `#!/bin/sh\necho "$(basename "$0") $*" >> ${root}/record\n`;
    for (const name of ['10-db', '20-app']) write(join(hooks, name), hook, 0o755);
    write(join(root, 'hwclock'), hook, 0o755);
    write(join(root, 'fsfreeze'), `hook-dir = ${hooks}\n`);
    write(join(root, 'set-time'), `hwclock = ${root}/hwclock\n`);
    write(join(root, 'info'), '');
    mkdirSync(join(root, 'state'), { mode: 0o700 });
    qga = await openQgaPty();
    client = qga.client;
    const log = memoryLogger().log;
    const commands = new AdminCommands({
      log,
      actions: loadActions([root]),
      stateDir: join(root, 'state'),
      system: { freezer, clock: { set: (ns) => void calls.push(`set clock ${ns}`) } },
    });
    service = new QgaService({ port: openPortFor(qga.path), log, commands });
    service.start();
    await client.sync();
  });

  afterAll(async () => {
    await service?.stop();
    await qga?.close();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    calls.length = 0;
    write(join(root, 'record'), '');
  });

  const hooksRun = (): string[] => readFileSync(join(root, 'record'), 'utf8').split('\n').filter(Boolean);

  it('guest-fsfreeze-freeze freezes every local filesystem, children first, after the hooks; thaw undoes it', async () => {
    expect(await client.call('{"execute":"guest-fsfreeze-freeze"}')).toBe('{"return": 3}');
    expect(calls).toEqual(['freeze /var/lib/db', 'freeze /var', 'freeze /']);
    expect(await client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
    expect(await client.call('{"execute":"guest-file-open","arguments":{"path":"/x"}}')).toBe(
      notFound('Command guest-file-open has been disabled: the agent is in frozen state'),
    );
    expect(await client.call('{"execute":"guest-fsfreeze-thaw"}')).toBe('{"return": 3}');
    expect(hooksRun()).toEqual(['10-db freeze', '20-app freeze', '20-app thaw', '10-db thaw']);
    expect(await client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
  });

  it('a filesystem that fails to freeze thaws the others again and answers the failure', async () => {
    failOn = '/var';
    try {
      expect(await client.call('{"execute":"guest-fsfreeze-freeze"}')).toBe(generic('failed to freeze /var: Input/output error'));
    } finally {
      failOn = undefined;
    }
    expect(calls).toEqual(['freeze /var/lib/db', 'freeze /var', 'thaw /var/lib/db']);
    expect(await client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
  });

  it('guest-set-time with a time sets the clock to it (to the microsecond, as qemu-ga\'s settimeofday), then the RTC with hwclock -w', async () => {
    expect(await client.call('{"execute":"guest-set-time","arguments":{"time":1716200000123456789}}')).toBe('{"return": {}}');
    expect(calls).toEqual(['set clock 1716200000123456000']);
    expect(hooksRun()).toEqual(['hwclock -w']);
  });

  it('guest-set-time with -999 ns sets the epoch, as qemu-ga\'s C division (towards zero) makes it', async () => {
    expect(await client.call('{"execute":"guest-set-time","arguments":{"time":-999}}')).toBe('{"return": {}}');
    expect(calls).toEqual(['set clock 0']);
    expect(hooksRun()).toEqual(['hwclock -w']);
  });
});
