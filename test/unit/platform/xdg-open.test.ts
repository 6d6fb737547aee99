import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderOpener } from '../../../src/platform/xdg-open.js';
import { memoryLogger } from '../../support/log.js';
import { alive } from '../../support/proc.js';
import { writeXdgOpen, xdgOpenRuns } from '../../support/xdg-open-stand-in.js';

describe('opening a folder with xdg-open', () => {
  let dir: string;
  let record: string;
  let opener: FolderOpener | undefined;
  const uid = process.getuid?.() ?? -1;
  /** The environment the runs get: the stand-in's folder first on PATH. */
  const env = (): NodeJS.ProcessEnv => ({ PATH: `${dir}:/usr/bin:/bin`, DISPLAY: ':9' });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xdg-open-'));
    record = join(dir, 'runs');
  });

  afterEach(() => {
    opener?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs xdg-open from PATH with the folder as its one argument, no shell, in the environment given', async () => {
    writeXdgOpen(dir, record, `printf '%s' "$DISPLAY" > '${join(dir, 'display')}'`);
    const { log, lines } = memoryLogger();
    opener = new FolderOpener(log);
    await opener.open('/srv/a folder; $(touch x) `id`', env());
    expect(xdgOpenRuns(record)).toEqual([{ uid, args: ['/srv/a folder; $(touch x) `id`'] }]);
    expect(readFileSync(join(dir, 'display'), 'utf8')).toBe(':9');
    expect(lines()).toEqual([]);
  });

  it('runs one at a time: a folder asked for while one runs is skipped with a log line', async () => {
    const release = join(dir, 'release');
    writeXdgOpen(dir, record, `while [ ! -e '${release}' ]; do sleep 0.05; done`);
    const { log, lines } = memoryLogger();
    opener = new FolderOpener(log);
    const first = opener.open('/first', env());
    await expect.poll(() => xdgOpenRuns(record)).toHaveLength(1);
    expect(opener.open('/second', env())).toBeUndefined();
    expect(lines().filter((l) => l.startsWith('info:') && l.includes('/second'))).toHaveLength(1);
    writeFileSync(release, '');
    await first;
    await opener.open('/third', env());
    expect(xdgOpenRuns(record).map((r) => r.args)).toEqual([['/first'], ['/third']]);
  });

  it('ends an xdg-open that runs past its time limit, and leaves what it started running', async () => {
    const child = join(dir, 'child');
    writeXdgOpen(dir, record, `sleep 60 & echo $! > '${child}'\nwait`);
    const { log, lines } = memoryLogger();
    opener = new FolderOpener(log, 200);
    await opener.open('/slow', env());
    const pid = Number(readFileSync(child, 'utf8'));
    try {
      expect(alive(pid)).toBe(true);
      expect(lines().filter((l) => l.startsWith('info:') && l.includes('/slow'))).toHaveLength(1);
      // Free again.
      expect(opener.open('/slow', env())).toBeInstanceOf(Promise);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('logs a failure as a warning with the exit status, and a missing xdg-open, and never throws', async () => {
    writeXdgOpen(dir, record, 'exit 4');
    const { log, lines } = memoryLogger();
    opener = new FolderOpener(log);
    await opener.open('/fails', env());
    expect(lines().filter((l) => l.startsWith('warn:') && l.includes('exit status 4'))).toHaveLength(1);
    await opener.open('/nowhere', { PATH: join(dir, 'empty') });
    expect(lines().filter((l) => l.startsWith('warn:') && l.includes('/nowhere'))).toHaveLength(1);
  });

  it('refuses a folder that is not an absolute path (it could read as an option)', () => {
    opener = new FolderOpener(memoryLogger().log);
    expect(() => opener?.open('--help', env())).toThrow(RangeError);
    expect(xdgOpenRuns(record)).toEqual([]);
  });

  it('stop() ends a run under way', async () => {
    writeXdgOpen(dir, record, 'exec sleep 60');
    const { log, lines } = memoryLogger();
    opener = new FolderOpener(log);
    const run = opener.open('/stopped', env());
    await expect.poll(() => xdgOpenRuns(record)).toHaveLength(1);
    opener.stop();
    await run;
    expect(lines()).toEqual([]);
  });
});
