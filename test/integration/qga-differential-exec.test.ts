import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_ENV } from '../../src/actions/admin/exec-env.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { waitExit } from '../support/guest-exec.js';
import { overlaid } from '../support/overlay.js';
import { QEMU_GA, startQemuGa, type QemuGa } from '../support/qemu-ga.js';
import type { QgaClient } from '../support/qga-client.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';

/** The two directories searched first (BASE_ENV's PATH), each with the entries laid over it. */
const SEARCHED = ['/usr/sbin', '/usr/bin'] as const;

/** A script that says which file ran and what A is. */
const SCRIPT = '#!/bin/sh\necho "$0 ran with A=$A"\n';

/**
 * Names a program without a slash may have, and what each searched directory holds under it:
 * `dir` a directory, `plain` a file without execute permission, `script` SCRIPT, `bare` an
 * executable without `#!` (which GLib runs with /bin/sh), `dangling` a link to nothing, `loop` a
 * link to itself.
 */
const ENTRIES: Record<string, [string | undefined, string | undefined]> = {
  'vdagent-t-dir-first': ['dir', 'script'],
  'vdagent-t-plain-first': ['plain', 'script'],
  'vdagent-t-dangling-first': ['dangling', 'script'],
  'vdagent-t-loop-first': ['loop', 'script'],
  'vdagent-t-script-first': ['script', 'dir'],
  'vdagent-t-dir-only': ['dir', undefined],
  'vdagent-t-plain-only': ['plain', undefined],
  'vdagent-t-dir-then-plain': ['dir', 'plain'],
  'vdagent-t-bare': ['bare', undefined],
  'vdagent-t-dir-then-bare': ['dir', 'bare'],
};

/** Makes one entry of a kind at `path`. */
function makeEntry(path: string, kind: string): void {
  if (kind === 'dir') mkdirSync(path, { mode: 0o755 });
  else if (kind === 'plain') writeFileSync(path, SCRIPT, { mode: 0o644 });
  else if (kind === 'script') writeFileSync(path, SCRIPT, { mode: 0o755 });
  else if (kind === 'bare') writeFileSync(path, 'echo "$0 ran bare with A=$A"\n', { mode: 0o755 });
  else if (kind === 'dangling') symlinkSync(`${path}.nowhere`, path);
  else if (kind === 'loop') symlinkSync(path.split('/').pop() ?? '', path);
}

/** guest-exec's answer, and the final status when a program started. */
async function outcome(client: QgaClient, args: Record<string, unknown>): Promise<unknown> {
  const started = await client.json({ execute: 'guest-exec', arguments: args });
  if (started.error) return started;
  return waitExit(client, (started.return as { pid: number }).pid);
}

/**
 * guest-exec with a program name without a slash, against Debian's qemu-ga 7.2 (GLib's g_spawn
 * with G_SPAWN_SEARCH_PATH). qemu-ga runs with vdagent's search path as its own PATH; both run with
 * the same entries laid over /usr/sbin and /usr/bin.
 */
describe.runIf(existsSync(QEMU_GA) && process.getuid?.() === 0)('guest-exec searches PATH as qemu-ga does (needs root and the qemu-guest-agent package)', () => {
  let dir: string;
  let ours: QgaDaemon;
  let theirs: QemuGa;

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-exec-'));
    chmodSync(dir, 0o755);
    const layers = join(dir, 'layers');
    SEARCHED.forEach((_, i) => mkdirSync(join(layers, String(i)), { recursive: true, mode: 0o755 }));
    for (const [name, kinds] of Object.entries(ENTRIES)) kinds.forEach((kind, i) => kind && makeEntry(join(layers, String(i), name), kind));
    const actions = makeActionsDir(dir, { exec: '*\nenv = A\n' });
    [ours, theirs] = await Promise.all([
      startQgaDaemon({ actionsDirs: [actions], prefix: overlaid(SEARCHED.map((d, i) => [d, join(layers, String(i))])) }),
      startQemuGa(join(dir, 'qemu-ga'), { PATH: BASE_ENV.PATH }, overlaid(SEARCHED.map((d, i) => [d, join(layers, String(i))]))),
    ]);
  });

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(ENTRIES))('%s: skips what cannot run, runs the first program or fails alike', async (name) => {
    for (const args of [
      { path: name, 'capture-output': true },
      { path: name, env: ['A=b'], 'capture-output': true },
      { path: name, arg: ['x\0y'], 'capture-output': true },
    ]) {
      expect(await outcome(ours.client, args), JSON.stringify(args)).toEqual(await outcome(theirs.client, args));
    }
  });

  it('differs on purpose for PATH in env: qemu-ga searches it, vdagent refuses the variable', async () => {
    const args = { path: 'vdagent-t-script-first', env: ['PATH=/usr/bin'], 'capture-output': true };
    expect(await outcome(theirs.client, args)).toMatchObject({ error: { desc: expect.stringContaining('(Permission denied)') } });
    expect(await outcome(theirs.client, { ...args, env: ['PATH=/usr/sbin'] })).toMatchObject({ exited: true, exitcode: 0 });
    expect(await outcome(ours.client, args)).toMatchObject({ error: { class: 'GenericError', desc: expect.stringContaining('PATH') } });
  });
});
