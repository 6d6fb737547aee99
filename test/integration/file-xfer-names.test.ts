import { existsSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GioError } from '../../src/actions/file-xfer/status.js';
import { FileXferResult } from '../../src/protocol/index.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { TransferClient } from '../support/file-xfer-client.js';

/** The detail of ERROR as the client reads it: GLib I/O error (0), INVALID_FILENAME. */
const INVALID_FILENAME = Buffer.from([0, GioError.InvalidFilename, 0, 0, 0]);

describe('file names a hostile client chooses (real daemon, helper on Xvfb)', () => {
  let d: DesktopDaemon;
  let client: TransferClient;
  /** What the folder files land in shows (no user-dirs.dirs and no ~/Downloads: the home folder). */
  const landed = (): string[] => (existsSync(d.home) ? readdirSync(d.home).sort() : []);

  beforeEach(async () => {
    d = await startDesktopDaemon();
    client = new TransferClient(d.agent);
    await client.untilServed();
  });

  afterEach((ctx) => stopAfterTest(d, ctx.task.result?.state === 'fail'));

  it('a name of the helper’s own temporary files is refused with INVALID_FILENAME, so no file the client was told arrived is removed by the next helper', async () => {
    const status = await client.sendFile('.vdagent-xfer-0123456789abcdef.part', Buffer.from('kept?'));
    const told = landed();
    const before = d.helper() as number;
    process.kill(before, 'SIGKILL');
    await expect.poll(() => d.helper() ?? before, { timeout: 10_000 }).not.toBe(before);
    await client.untilServed();
    expect(landed()).toEqual(told);
    expect(status).toMatchObject({ result: FileXferResult.Error, detail: INVALID_FILENAME });
    expect(told).toEqual([]);
  }, 60_000);
});
