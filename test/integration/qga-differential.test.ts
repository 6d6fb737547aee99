import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { makeActionsDir } from '../support/actions-dir.js';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fsInfo } from '../../src/actions/admin/fsinfo.js';
import { localMounts } from '../../src/actions/admin/mounts.js';
import { timezone } from '../../src/actions/admin/timezone.js';
import { encodeJson } from '../../src/qga/index.js';
import { DISK_LAYOUTS } from '../support/disk-layouts.js';
import { canLoopMount, withScratchFs } from '../support/scratch-fs.js';
import { argumentCases } from '../support/qga-argument-cases.js';
import { startQemuGa, QEMU_GA, type QemuGa } from '../support/qemu-ga.js';
import type { AnswerLine, QgaClient } from '../support/qga-client.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';
import { underSysfs, writeBlockSysfs } from '../support/sysfs.js';

/** Everything an agent answers to `input`, up to the answer of a sync sent after it. */
async function answersTo(client: QgaClient, input: string, marker: number): Promise<AnswerLine[]> {
  await client.send(`${input}\n\xff{"execute":"guest-sync","arguments":{"id":${marker}}}\n`);
  const lines: AnswerLine[] = [];
  for (let line = await client.next(); line.text !== `{"return": ${marker}}`; line = await client.next()) lines.push(line);
  // The 0xFF before the marker is answered with a stray error by both; it is not part of the answer.
  expect(lines.pop()?.text).toBe(`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\uFFFD'"}}`);
  return lines;
}

/** A value's JSON shape: member names and value types, recursively. */
function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

/** Commands served here that qemu-ga 7.2 does not have (checked against qemu 10.0's schema instead). */
const NEWER_THAN_7_2 = ['guest-network-get-route', 'guest-get-load'];

/** Bytes that make parse errors, quirks and valid requests; each is followed by a newline. */
const INPUTS = [
  '{"execute":"guest-ping"}',
  "{'execute':'guest-ping','id':'single'}",
  '{"execute":"guest-ping"}{"execute":"guest-sync","arguments":{"id":7}}',
  '{"execute":"guest-ping","id":1.5}',
  '{"execute":"guest-ping","id":[1e5,1E+5,1e-5,0.0,-0,-0.0,0.1,1e400,100000000000000000000,-9223372036854775809,18446744073709551615,9007199254740993]}',
  '{"execute":"guest-ping","id":"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\u0001\\u007f\\u0000"}',
  '{"execute":"guest-ping","id":{"a":[1,{"b":null,"c":true,"d":false}]}}',
  '{"execute":"guest-ping","id":"\xc3\xa9\xf0\x9f\x98\x80\xc0\x80"}',
  '{"execute":"guest-sync","arguments":{"id":9223372036854775807}}',
  '{"execute":"guest-sync","arguments":{"id":-9223372036854775808}}',
  '{"execute":"guest-sync-delimited","arguments":{"id":42},"id":"d"}',
  '}', ']', ',', ':', '1', '"s"', 'true', 'null', 'nul', 'tru e', 'garbage', '01', '-', '1.', '.5', '1e', '+1', '1x', '1.5.3',
  '{"a" 1}', '{"a":}', '{"a":1,}', '[1,]', '[1 2]', '{1:2}', '{"a":1 "b":2}', '{"a":1}}', '[{]}', '{[1]:2}', '{[nul]:2}', '[1}]', '{"a":1]',
  '{"a":"\\x"}', '{"a":"\x01"}', '{"a":"\xc3"}', '{"a":"\xed\xa0\x80"}', '\xc3\xa9', '\x00', '\xff', '\xff\xff', '{"execute":"gue\xff',
  '["\\u12"]', '["\\u12G4"]', '["\\udc00"]', '["\\ud800\\u0041"]', '["\\uFFFF"]', '["\\uFDD0"]', '["\\ud83f\\udfff"]', '["\\"]',
  '["\xef\xbf\xbf"]', '["\xf4\x90\x80\x80"]', '["\xe0\x80\xaf"]', '["\x80"]', '"\xe2\x82\x01', '"\x80\x80\x01', '"\xc0\x80\x01', '"a\tb"', "['a\"b\\'c']",
  '{"execute":"guest-sync","arguments":{"id":5,"id":6}}', '{"a":1,"a":nul}',
  '[1,2]', '{}', '{"id":7}', '{"execute":1}', '{"execute":"guest-ping","bogus":1,"id":2}', '{"execute":"guest-ping","arguments":null,"id":3}',
  '{"execute":"guest-ping","arguments":[]}', '{"execute":"guest-ping","exec-oob":"x"}', '{"execute":"guest-ping","control":{}}',
  '{"execute":"guest-nonexistent","id":{"a":[1]}}', '{"execute":"guest-nope","arguments":1}',
];

/** Requests refused while their arguments are checked (nothing runs), on every command the agents share. */
const ARGUMENT_ERRORS = [
  '{"execute":"guest-sync"}',
  '{"execute":"guest-sync","arguments":{"id":1.5}}',
  '{"execute":"guest-sync","arguments":{"id":"1"}}',
  '{"execute":"guest-sync","arguments":{"id":18446744073709551615}}',
  '{"execute":"guest-ping","arguments":{"foo":1}}',
  '{"execute":"guest-exec","arguments":{}}',
  '{"execute":"guest-exec","arguments":{"path":1}}',
  '{"execute":"guest-exec","arguments":{"path":"/bin/true","arg":"x"}}',
  '{"execute":"guest-exec","arguments":{"path":"/bin/true","arg":["a",null]}}',
  '{"execute":"guest-exec","arguments":{"path":"/bin/true","env":{}}}',
  '{"execute":"guest-exec","arguments":{"path":"/bin/true","input-data":"!!"}}',
  '{"execute":"guest-exec","arguments":{"foo":1,"path":3}}',
  '{"execute":"guest-exec-status","arguments":{"pid":"1"}}',
  '{"execute":"guest-exec-status","arguments":{"pid":999999999}}',
  '{"execute":"guest-file-open","arguments":{}}',
  '{"execute":"guest-file-open","arguments":{"path":"/nonexistent/x","mode":"rw"}}',
  '{"execute":"guest-file-open","arguments":{"path":"/nonexistent/x"}}',
  '{"execute":"guest-file-open","arguments":{"path":"/dev/null\\u0000x"}}',
  '{"execute":"guest-exec","arguments":{"path":"/bin/echo\\u0000x"}}',
  '{"execute":"guest-exec","arguments":{"path":"echo\\u0000"}}',
  '{"execute":"guest-exec","arguments":{"path":""}}',
  '{"execute":"guest-exec","arguments":{"path":"X11"}}',
  '{"execute":"guest-file-read","arguments":{"handle":7}}',
  '{"execute":"guest-file-seek","arguments":{"handle":1,"offset":0,"whence":"bogus"}}',
  '{"execute":"guest-file-seek","arguments":{"handle":1,"offset":0,"whence":1.5}}',
  '{"execute":"guest-file-seek","arguments":{"handle":1,"offset":0,"whence":null}}',
  '{"execute":"guest-file-seek","arguments":{"handle":1,"offset":0}}',
  '{"execute":"guest-file-seek","arguments":{"handle":1,"offset":0,"whence":0}}',
  '{"execute":"guest-file-close","arguments":{"handle":1000000}}',
  '{"execute":"guest-shutdown","arguments":{"mode":1}}',
  '{"execute":"guest-shutdown","arguments":{"mode":"bogus"}}',
  '{"execute":"guest-set-time","arguments":{"time":null}}',
  '{"execute":"guest-set-time","arguments":{"time":-1000000000000000000}}',
  '{"execute":"guest-set-time","arguments":{"time":4000000000000000000}}',
  '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":"x"}}',
  '{"execute":"guest-fsfreeze-status"}',
  '{"execute":"guest-get-time","arguments":{"x":1}}',
  '{"execute":"guest-get-vcpus","arguments":{"x":1}}',
  '{"execute":"guest-get-cpustats","arguments":[]}',
  '{"execute":"guest-get-diskstats","arguments":{"a":1}}',
  '{"execute":"guest-get-memory-blocks","arguments":{"x":null}}',
  '{"execute":"guest-get-memory-block-info","arguments":{"size":1}}',
  '{"execute":"guest-get-disks","arguments":{"x":1}}',
  '{"execute":"guest-get-devices"}',
  '{"execute":"guest-get-devices","arguments":{"x":1}}',
];

// Known differences, not compared: capture-output also takes QEMU 8.1's modes, so a wrong type is
// "expected: GuestExecCaptureOutput" (8.1) rather than "expected: boolean" (7.2); created files get
// mode 0600, not 0666; after a token over the limit vdagent skips the rest like any bad input
// instead of lexing the string's remains; the host's environment is limited to the names the exec
// entry accepts (never PATH and the like), and a program runs under its listed name; a value is
// refused past 32 MiB of estimated memory, a token at 32 MiB rather than 64 (qemu-ga has no memory
// ceiling), and exec results, captured output and file handles kept for the host are capped (qemu-ga keeps them without bound);
// files are written unbuffered, so a write error is the write's answer, not the flush's (shown
// below), and seeking /dev/zero stays at 0 where qemu-ga's stdio reads a block and counts in it.
// Never sent to qemu-ga: guest-shutdown with a valid mode, guest-suspend-*, guest-fsfreeze-freeze
// (they would act on this machine), guest-set-time with a valid time or none (it would set its
// clock; valid times go to both agents below, run without CAP_SYS_TIME), guest-fsfreeze-thaw (it
// would thaw what another test froze).
describe.skipIf(!existsSync(QEMU_GA))('the same requests to vdagent and to Debian qemu-ga 7.2 (skipped without the qemu-guest-agent package, which the test setup installs as root)', () => {
  let dir: string;
  let ours: QgaDaemon;
  let theirs: QemuGa;
  let marker = 1;

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-'));
    chmodSync(dir, 0o755);
    // The account actions are on (as in qemu-ga) for guest-info's flags, but may change no user;
    // fstrim, suspend, set-vcpus and set-memory-blocks are on only for guest-info's flags too
    // (qga-differential-users.test.ts and qga-differential-system.test.ts call them).
    const actions = makeActionsDir(dir, {
      info: '',
      file: '',
      exec: '*\nenv = A\n',
      'ssh-keys': 'users =\n',
      'set-user-password': 'users =\n',
      fstrim: '',
      suspend: '',
      'set-vcpus': '',
      'set-memory-blocks': '',
    });
    mkdirSync(join(dir, 'hooks'), { mode: 0o755 });
    mkdirSync(join(dir, 'files'), { mode: 0o755 });
    writeFileSync(join(actions, 'fsfreeze'), `hook-dir = ${dir}/hooks\n`, { mode: 0o644 });
    writeFileSync(join(actions, 'shutdown'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    writeFileSync(join(actions, 'set-time'), 'hwclock = /bin/false\n', { mode: 0o644 });
    const osRelease = join(dir, 'os-release');
    writeFileSync(osRelease, 'NAME="Test \\"OS\\""\nID=test os\nVERSION_ID=\'1 2\'\nPRETTY_NAME="a\\$b\\`c\\\\d\\x"\nVARIANT=x;y\n VERSION = spaced out \nVARIANT_ID="unterminated\n');
    const env = { QGA_OS_RELEASE: osRelease };
    // Both started, as by a careless parent, with a file open on descriptor 7 (not close-on-exec).
    const inherit = ['/bin/sh', '-c', 'exec 7<"$0" && exec "$@"', osRelease];
    [ours, theirs] = await Promise.all([startQgaDaemon({ actionsDirs: [actions], env, prefix: inherit }), startQemuGa(join(dir, 'qemu-ga'), env, inherit)]);
  });

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Both agents' answers to the same bytes. */
  async function both(input: string): Promise<{ ours: AnswerLine[]; theirs: AnswerLine[] }> {
    const id = marker++;
    return { ours: await answersTo(ours.client, input, id), theirs: await answersTo(theirs.client, input, id) };
  }

  /** Both agents' parsed answer to one request. */
  async function call(request: string | object): Promise<{ ours: Record<string, unknown>; theirs: Record<string, unknown> }> {
    const r = await both(typeof request === 'string' ? request : JSON.stringify(request));
    expect(r.ours).toHaveLength(1);
    expect(r.theirs).toHaveLength(1);
    return { ours: JSON.parse(r.ours[0]?.text ?? '') as Record<string, unknown>, theirs: JSON.parse(r.theirs[0]?.text ?? '') as Record<string, unknown> };
  }

  it('parses, refuses and resynchronises byte for byte alike', async () => {
    for (const input of INPUTS) {
      const r = await both(input);
      expect(r.ours, JSON.stringify(input)).toEqual(r.theirs);
    }
  });

  it('checks arguments byte for byte alike', async () => {
    for (const input of ARGUMENT_ERRORS) {
      const r = await both(input);
      expect(r.ours, input).toEqual(r.theirs);
    }
  });

  it('checks the arguments of every command host tools call alike: extra keys, missing ones, wrong types', async () => {
    const cases = argumentCases();
    expect(cases.length).toBeGreaterThan(300);
    for (const input of cases) {
      const r = await both(input);
      expect(r.ours, input).toEqual(r.theirs);
    }
  });

  it('refuses nesting 10,000 deep alike', async () => {
    const r = await both(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect(r.ours.length).toBe(r.theirs.length);
    expect(r.ours).toEqual(r.theirs);
  });

  it('reports host name, time zone, OS and users alike', async () => {
    for (const execute of ['guest-get-host-name', 'guest-get-timezone', 'guest-get-osinfo', 'guest-get-users']) {
      const r = await both(`{"execute":"${execute}"}`);
      expect(r.ours, execute).toEqual(r.theirs);
    }
    const time = await call('{"execute":"guest-get-time"}');
    expect(shape(time.ours)).toEqual(shape(time.theirs));
    expect(Math.abs((time.ours.return as number) - (time.theirs.return as number))).toBeLessThan(5e9);
  });

  it('reports network interfaces alike, counters aside', async () => {
    const r = await call('{"execute":"guest-network-get-interfaces"}');
    const withoutCounters = (nics: unknown): unknown =>
      (nics as Record<string, unknown>[]).map(({ statistics, ...rest }) => ({ ...rest, statistics: shape(statistics) }));
    expect(withoutCounters(r.ours.return)).toEqual(withoutCounters(r.theirs.return));
  });

  it('reports the root filesystem alike, and every filesystem with the same members', async () => {
    const r = await call('{"execute":"guest-get-fsinfo"}');
    type Fs = { mountpoint: string; 'used-bytes'?: number; 'total-bytes'?: number };
    const root = (list: unknown): Fs | undefined => (list as Fs[]).find((f) => f.mountpoint === '/');
    const stable = (f: Fs | undefined): unknown => f && { ...f, 'used-bytes': typeof f['used-bytes'], 'total-bytes': f['total-bytes'] };
    expect(stable(root(r.ours.return))).toEqual(stable(root(r.theirs.return)));
    expect(new Set((r.ours.return as unknown[]).map((f) => JSON.stringify(shape(f))))).toEqual(new Set((r.theirs.return as unknown[]).map((f) => JSON.stringify(shape(f)))));
  });

  it.runIf(canLoopMount)('reports a loop-mounted filesystem alike, with its bind mounts (one read-only, one under a name with a space), in the same order', async () => {
    await withScratchFs(async (scratch) => {
      const binds = [join(dir, 'bind with space'), join(dir, 'bind-ro'), join(dir, 'tmpfs')];
      for (const b of binds) mkdirSync(b);
      execFileSync('mount', ['--bind', scratch, binds[0] as string]);
      execFileSync('mount', ['--bind', '-o', 'ro', scratch, binds[1] as string]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'none', binds[2] as string]);
      try {
        const r = await call('{"execute":"guest-get-fsinfo"}');
        const made = (list: unknown): unknown[] => (list as { mountpoint: string }[]).filter((f) => f.mountpoint === scratch || binds.includes(f.mountpoint));
        expect(made(r.ours.return)).toEqual(made(r.theirs.return));
        expect(made(r.ours.return)).toHaveLength(3);
      } finally {
        for (const b of binds) execFileSync('umount', [b]);
      }
    });
  });

  it('reports vCPUs alike, value for value and in the same order', async () => {
    const r = await call({ execute: 'guest-get-vcpus' });
    expect(r.ours).toEqual(r.theirs);
    expect(r.ours.return).not.toEqual([]);
  });

  it('reports memory blocks alike, value for value and in the same order', async () => {
    for (const execute of ['guest-get-memory-blocks', 'guest-get-memory-block-info']) {
      const r = await call({ execute });
      expect(r.ours, execute).toEqual(r.theirs);
      expect(r.ours.return, execute).toBeTruthy();
    }
  });

  /** Counter objects of the same members, each of ours (asked first) at most theirs: counters only grow. */
  const countersAlike = (ours: Record<string, unknown>, theirs: Record<string, unknown>, label: string): void => {
    expect(shape(ours), label).toEqual(shape(theirs));
    for (const [k, v] of Object.entries(ours)) if (typeof v === 'number') expect(v, `${label} ${k}`).toBeLessThanOrEqual(theirs[k] as number);
  };

  it('reports CPU statistics alike: the same processors and members, counters that only grow', async () => {
    type Cpu = Record<string, unknown> & { cpu: number; type: string };
    const r = await call('{"execute":"guest-get-cpustats"}');
    const ours = r.ours.return as Cpu[];
    const theirs = r.theirs.return as Cpu[];
    expect(ours.map((c) => [c.cpu, c.type])).toEqual(theirs.map((c) => [c.cpu, c.type]));
    ours.forEach((c, i) => countersAlike({ ...c, cpu: 0 }, { ...(theirs[i] as Cpu), cpu: 0 }, `cpu${c.cpu}`));
  });

  it('reports disk statistics alike: the same devices and members, counters that only grow', async () => {
    type Disk = { name: string; major: number; minor: number; stats: Record<string, unknown> };
    const r = await call('{"execute":"guest-get-diskstats"}');
    const ours = r.ours.return as Disk[];
    const theirs = r.theirs.return as Disk[];
    expect(ours.map(({ name, major, minor }) => [name, major, minor])).toEqual(theirs.map(({ name, major, minor }) => [name, major, minor]));
    // in-flight I/O (ios-pgr) goes down as well as up
    ours.forEach((d, i) => countersAlike({ ...d.stats, 'ios-pgr': 0 }, { ...theirs[i]?.stats, 'ios-pgr': 0 }, d.name));
  });

  it('lists disks alike, their controller addresses included', async () => {
    const r = await call('{"execute":"guest-get-disks"}');
    expect(r.ours.return).toEqual(r.theirs.return);
  });

  it('lacks the newer commands in 7.2, which are served here', async () => {
    for (const execute of NEWER_THAN_7_2) {
      const r = await call({ execute });
      expect(r.theirs, execute).toEqual({ error: { class: 'CommandNotFound', desc: `The command ${execute} has not been found` } });
      expect(r.ours.return, execute).toBeTruthy();
    }
  });

  it('lists its commands in guest-info as qemu-ga does, each with the same flags', async () => {
    const r = await call('{"execute":"guest-info"}');
    type Info = { version: string; supported_commands: { name: string; enabled: boolean; 'success-response': boolean }[] };
    const ourInfo = r.ours.return as Info;
    const theirInfo = r.theirs.return as Info;
    expect(shape(ourInfo)).toMatchObject({ version: 'string' });
    const theirNames = theirInfo.supported_commands.map((c) => c.name);
    // Every command qemu-ga lists is listed here too, those it never enables on Linux included.
    expect(theirNames.filter((n) => !ourInfo.supported_commands.some((c) => c.name === n))).toEqual([]);
    // Same relative order as qemu-ga's list, and the same flags for each; commands newer than 7.2 aside.
    const shared = ourInfo.supported_commands.filter((c) => theirNames.includes(c.name));
    for (const c of ourInfo.supported_commands) if (!theirNames.includes(c.name)) expect(NEWER_THAN_7_2, 'a command 7.2 lacks').toContain(c.name);
    expect(shared.map((c) => c.name)).toEqual(theirNames.filter((n) => shared.some((c) => c.name === n)));
    for (const c of shared) expect(c, c.name).toEqual(theirInfo.supported_commands.find((t) => t.name === c.name));
  });

  it('runs programs and reports their end alike', async () => {
    const runs = [
      { path: '/bin/echo', arg: ['hello', 'world'], 'capture-output': true },
      { path: '/bin/sh', arg: ['-c', 'echo out; echo err 1>&2; exit 3'], 'capture-output': true },
      { path: '/bin/sh', arg: ['-c', 'kill -TERM $$'], 'capture-output': true },
      { path: '/bin/cat', 'input-data': 'cGlwZWQgaW5wdXQK', 'capture-output': true },
      { path: '/bin/echo', arg: ['no capture'] },
      { path: 'sh', arg: ['-c', 'echo "$A:$HOME"'], env: ['A=b'], 'capture-output': true },
      { path: '/bin/sh', arg: ['-c', ':'], 'capture-output': false },
      // A NUL reaches the program as qemu-ga's modified UTF-8 has it: the bytes C0 80.
      { path: '/usr/bin/printf', arg: ['%s|', 'a\0b', '\0', 'c'], 'capture-output': true },
      { path: 'sh', arg: ['-c', 'printf %s "$A"'], env: ['A=x\0y\0'], 'capture-output': true },
      // The standard streams are pipes, which a program may open again by name (a socket cannot be).
      { path: '/bin/sh', arg: ['-c', 'cat /dev/stdin; echo out > /dev/stdout; echo err > /dev/stderr'], 'input-data': 'aW4K', 'capture-output': true },
      { path: '/bin/sh', arg: ['-c', 'echo out > /dev/stdout; echo err > /dev/stderr; cat /dev/stdin'], 'capture-output': true },
      { path: '/bin/cat', arg: ['/dev/stdin'], 'input-data': 'aW4K', 'capture-output': true },
      { path: '/usr/bin/printf', arg: ['%s|', 'a\0b'], 'input-data': 'aW4K', 'capture-output': true },
      { path: '/bin/sh', arg: ['-c', 'cat /dev/stdin > /dev/stdout; printf "%s\\0" c > /dev/stderr', 'x\0'], 'input-data': 'aW4K', 'capture-output': true },
      // Only the standard streams: nothing the agent inherited or opened (ls's own listing is 3).
      { path: '/bin/ls', arg: ['/proc/self/fd'], 'capture-output': true },
      { path: '/bin/ls', arg: ['/proc/self/fd'], 'input-data': '', 'capture-output': true },
      { path: '/bin/sh', arg: ['-c', 'ls /proc/self/fd', 'x\0'], 'capture-output': true },
    ];
    for (const args of runs) {
      const started = await call({ execute: 'guest-exec', arguments: args });
      expect(shape(started.ours)).toEqual(shape(started.theirs));
      const status = async (client: QgaClient, pid: number): Promise<unknown> => {
        for (;;) {
          const s = (await client.json({ execute: 'guest-exec-status', arguments: { pid } })).return as { exited: boolean };
          if (s.exited) return s;
          await new Promise((res) => setTimeout(res, 20));
        }
      };
      const pid = (r: Record<string, unknown>): number => (r.return as { pid: number }).pid;
      expect(await status(ours.client, pid(started.ours)), JSON.stringify(args)).toEqual(await status(theirs.client, pid(started.theirs)));
    }
    const missing = await both('{"execute":"guest-exec","arguments":{"path":"/nonexistent/prog"}}');
    expect(missing.ours).toEqual(missing.theirs);
  });

  // Not /dev/zero: qemu-ga's stdio reads a block on a seek there and counts the position in it.
  it('seeks from the end of files the kernel sizes 0 or 4096 (/proc, /sys) alike, and of /dev/null', async () => {
    for (const path of ['/proc/version', '/sys/kernel/uevent_seqnum', '/dev/null']) {
      const transcript = async (client: QgaClient): Promise<string[]> => {
        const handle = ((await client.json({ execute: 'guest-file-open', arguments: { path } })).return as number);
        const answers: string[] = [];
        for (const [offset, whence] of [[0, 'end'], [-1, 'end'], [5, 'end'], [0, 'cur'], [2, 'set'], [-4096, 2], [-4097, 2]] as const) {
          answers.push(await client.call({ execute: 'guest-file-seek', arguments: { handle, offset, whence } }));
        }
        answers.push(await client.call({ execute: 'guest-file-close', arguments: { handle } }));
        return answers;
      };
      expect(await transcript(ours.client), path).toEqual(await transcript(theirs.client));
    }
  });

  it('differs on purpose on a write error: the write answers it here, the flush after qemu-ga\'s stdio buffer', async () => {
    const steps = async (client: QgaClient): Promise<string[]> => {
      const handle = (await client.json({ execute: 'guest-file-open', arguments: { path: '/dev/full', mode: 'w' } })).return as number;
      return [
        await client.call({ execute: 'guest-file-write', arguments: { handle, 'buf-b64': 'QUJD' } }),
        await client.call({ execute: 'guest-file-flush', arguments: { handle } }),
        await client.call({ execute: 'guest-file-close', arguments: { handle } }),
      ];
    };
    const full = 'No space left on device';
    expect(await steps(ours.client)).toEqual([`{"error": {"class": "GenericError", "desc": "failed to write to file: ${full}"}}`, '{"return": {}}', '{"return": {}}']);
    expect(await steps(theirs.client)).toEqual(['{"return": {"count": 3, "eof": false}}', `{"error": {"class": "GenericError", "desc": "failed to flush file: ${full}"}}`, '{"return": {}}']);
  });

  it('reads, writes and seeks files alike (qemu-ga 7.2 transcript)', async () => {
    const steps = (path: string): object[] => [
      { execute: 'guest-file-open', arguments: { path, mode: 'w+' } },
      { execute: 'guest-file-write', arguments: { handle: 1000, 'buf-b64': 'aGVsbG8gcWdhCg==' } },
      { execute: 'guest-file-write', arguments: { handle: 1000, 'buf-b64': 'QUJDREVG', count: 3 } },
      { execute: 'guest-file-write', arguments: { handle: 1000, 'buf-b64': 'QUJD====' } },
      { execute: 'guest-file-write', arguments: { handle: 1000, 'buf-b64': 'QU=D\nQQ' } },
      { execute: 'guest-file-flush', arguments: { handle: 1000 } },
      { execute: 'guest-file-seek', arguments: { handle: 1000, offset: 0, whence: 'set' } },
      { execute: 'guest-file-read', arguments: { handle: 1000, count: 5 } },
      { execute: 'guest-file-read', arguments: { handle: 1000 } },
      { execute: 'guest-file-read', arguments: { handle: 1000 } },
      { execute: 'guest-file-read', arguments: { handle: 1000, count: 0 } },
      { execute: 'guest-file-seek', arguments: { handle: 1000, offset: -4, whence: 2 } },
      { execute: 'guest-file-seek', arguments: { handle: 1000, offset: -100, whence: 'cur' } },
      { execute: 'guest-file-seek', arguments: { handle: 1000, offset: 0, whence: 7 } },
      { execute: 'guest-file-read', arguments: { handle: 1000, count: 50331649 } },
      { execute: 'guest-file-read', arguments: { handle: 1000, count: -1 } },
      { execute: 'guest-file-write', arguments: { handle: 1000, 'buf-b64': 'QUJD', count: 10 } },
      { execute: 'guest-file-close', arguments: { handle: 1000 } },
      { execute: 'guest-file-close', arguments: { handle: 1000 } },
      { execute: 'guest-file-open', arguments: { path, mode: 'r' } },
      { execute: 'guest-file-write', arguments: { handle: 1001, 'buf-b64': 'QUJD' } },
      { execute: 'guest-file-open', arguments: { path: `${path}/below-a-file` } },
    ];
    const ourPath = join(dir, 'files', 'ours.txt');
    const theirPath = join(dir, 'files', 'theirs.txt');
    const ourSteps = steps(ourPath);
    const theirSteps = steps(theirPath);
    for (const [i, step] of ourSteps.entries()) {
      const a = await answersTo(ours.client, JSON.stringify(step), marker++);
      const b = await answersTo(theirs.client, JSON.stringify(theirSteps[i]), marker++);
      expect(a.map((l) => l.text.replaceAll(ourPath, 'PATH')), JSON.stringify(step)).toEqual(b.map((l) => l.text.replaceAll(theirPath, 'PATH')));
    }
  });
});

/** A disk address without the fields udev supplies (libudev finds no device in a tree mounted over /sys). */
const placement = (disk: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(disk).filter(([k]) => k !== 'dev' && k !== 'serial'));

const rootMount = existsSync(QEMU_GA) && process.getuid?.() === 0 ? localMounts().find((m) => m.dir === '/') : undefined;

describe.skipIf(!rootMount)('fsinfo disk placement alike, with a QEMU machine\'s sysfs laid out under the root filesystem\'s device (needs root and a block-device root)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-sysfs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.entries(DISK_LAYOUTS))('%s', async (_layout, tree) => {
    const sys = join(dir, 'sys');
    writeBlockSysfs(sys, tree(`${rootMount?.major}:${rootMount?.minor}`));
    const theirs = await startQemuGa(join(dir, 'qemu-ga'), {}, underSysfs(sys));
    try {
      type Fs = { mountpoint: string; disk: Record<string, unknown>[] };
      const theirRoot = ((await theirs.client.json({ execute: 'guest-get-fsinfo' })).return as Fs[]).find((f) => f.mountpoint === '/');
      const ourRoot = (JSON.parse(encodeJson(fsInfo(localMounts(), { sys }))) as Fs[]).find((f) => f.mountpoint === '/');
      expect(theirRoot?.disk).toHaveLength(1);
      expect(ourRoot?.disk.map(placement)).toEqual(theirRoot?.disk.map(placement));
    } finally {
      await theirs.stop();
    }
  });
});

describe.skipIf(!existsSync(QEMU_GA))('the time zone alike under TZ values, and without /etc/localtime', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-tz-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** qemu-ga's guest-get-timezone with `env`, run under `prefix`. */
  async function theirZone(env: NodeJS.ProcessEnv, prefix: string[] = []): Promise<unknown> {
    const theirs = await startQemuGa(join(dir, 'qemu-ga'), env, prefix);
    try {
      return (await theirs.client.json({ execute: 'guest-get-timezone' })).return;
    } finally {
      await theirs.stop();
    }
  }

  /** Our guest-get-timezone answer as JSON. */
  const ourZone = (env: NodeJS.ProcessEnv, root = ''): unknown => JSON.parse(encodeJson(timezone(env, new Date(), root)));

  it.each(['', 'Nowhere/Foo', 'Foo', 'Europe/Berlin', ':Asia/Tokyo', 'America/Sao_Paulo', 'CET-1CEST,M3.5.0,M10.5.0/3', 'AEST-10AEDT,M10.1.0,M4.1.0/3', 'EST5EDT', '<+0530>-5:30'])('TZ=%j', async (TZ) => {
    expect(ourZone({ TZ })).toEqual(await theirZone({ TZ }));
  });

  const localtime = existsSync('/etc/localtime') ? realpathSync('/etc/localtime') : undefined;
  it.skipIf(process.getuid?.() !== 0 || !localtime || localtime === '/etc/localtime')('without /etc/localtime (its zone file hidden under a tmpfs; needs root)', async () => {
    const hide = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs none "$0" && exec "$@"', dirname(localtime ?? '')];
    mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
    expect(ourZone({}, join(dir, 'root'))).toEqual(await theirZone({ TZ: undefined }, hide));
  });
});

/**
 * guest-set-time with times that pass the checks, without moving this machine's clock: both agents
 * run without CAP_SYS_TIME (dropped from the bounding set), so a time that reaches the kernel is
 * refused there with EPERM, one that the kernel finds malformed with EINVAL, and one refused
 * before it reaches the kernel with "Invalid time".
 */
describe.runIf(existsSync(QEMU_GA) && existsSync('/sbin/hwclock') && process.getuid?.() === 0)('guest-set-time checked alike, both agents without CAP_SYS_TIME (needs root, qemu-ga and /sbin/hwclock)', () => {
  let dir: string;
  let ours: QgaDaemon;
  let theirs: QemuGa;
  const noClock = ['/usr/bin/setpriv', '--bounding-set', '-sys_time', '--'];

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-time-'));
    chmodSync(dir, 0o755);
    const actions = makeActionsDir(dir, { 'set-time': 'hwclock = /bin/false\n' });
    [ours, theirs] = await Promise.all([startQgaDaemon({ actionsDirs: [actions], prefix: noClock }), startQemuGa(join(dir, 'qemu-ga'), {}, noClock)]);
  });

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // In C, -999 / 10^9 is 0 and -999 % 10^9 / 1000 is 0: the epoch, which reaches the kernel; from
  // -1000 on the microseconds are negative, which the kernel refuses.
  it.each([-1, -999, -1000, -999_999_999, -1_000_000_000, 1999, 1_700_000_000_000_000_000])('time %d', async (time) => {
    const request = { execute: 'guest-set-time', arguments: { time } };
    const answers = [await ours.client.call(JSON.stringify(request)), await theirs.client.call(JSON.stringify(request))];
    expect(answers[0]).toBe(answers[1]);
  });
});
