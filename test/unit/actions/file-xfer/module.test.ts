import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileXferModule } from '../../../../src/actions/file-xfer/module.js';
import { GioError, MAX_ACTIVE_TRANSFERS } from '../../../../src/actions/file-xfer/status.js';
import { MAX_PENDING_BYTES, MAX_PENDING_WRITES } from '../../../../src/actions/file-xfer/module.js';
import { openHidden } from '../../../../src/actions/file-xfer/pending-file.js';
import { MAX_BATCH_WRITES } from '../../../../src/actions/file-xfer/write-batch.js';
import { collectingContext } from '../../../support/module-context.js';
import { memoryLogger } from '../../../support/log.js';
import { CapabilitySet, FileXferResult, MessageType, type FileXferStatusMessage, type Message } from '../../../../src/protocol/index.js';

const start = (id: number, name: string, size: number): Message => ({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=${name}\nsize=${size}\n` });
const data = (id: number, bytes: Buffer): Message => ({ type: MessageType.FileXferData, id, data: bytes });
const clientStatus = (id: number, result: FileXferResult): Message => ({ type: MessageType.FileXferStatus, id, result });

describe('the file-xfer module', () => {
  let home: string;
  let downloads: string;
  let module: FileXferModule;
  let sent: FileXferStatusMessage[];
  /** The ids the module told the daemon it closed, in order. */
  let closed: number[];
  const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };

  /** The next status the module sends for `id`. */
  const statusOf = async (id: number): Promise<FileXferStatusMessage> => {
    await expect.poll(() => sent.some((s) => s.id === id), { timeout: 5000 }).toBe(true);
    const i = sent.findIndex((s) => s.id === id);
    return sent.splice(i, 1)[0] as FileXferStatusMessage;
  };
  /** Errors a handled message rejected with; the agent connection logs them, a test fails on them. */
  let rejected: unknown[];
  /** Hands the module a message the way the agent connection does: without waiting for it. */
  const deliver = (message: Message): void => {
    void Promise.resolve(module.handle(message)).catch((err: unknown) => rejected.push(err));
  };
  const files = (): string[] => (existsSync(downloads) ? readdirSync(downloads).sort() : []);

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'xfer-home-'));
    mkdirSync(join(home, '.config'));
    writeFileSync(join(home, '.config', 'user-dirs.dirs'), 'XDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
    downloads = join(home, 'Incoming');
    process.env.HOME = home;
    delete process.env.XDG_CONFIG_HOME;
    sent = [];
    closed = [];
    rejected = [];
    module = new FileXferModule();
    await module.start({
      send: (m) => {
        if (m.type === MessageType.FileXferStatus) sent.push(m);
        return true;
      },
      clientCaps: () => CapabilitySet.empty,
      log: memoryLogger().log,
      settings: new Map(),
      options: {},
      closed: (id) => closed.push(id),
    });
  });

  afterEach(async () => {
    await module.stop();
    expect(rejected).toEqual([]);
    Object.assign(process.env, saved);
    rmSync(home, { recursive: true, force: true });
  });

  it('writes the streamed data into the XDG download folder, creating it, and answers SUCCESS', async () => {
    const content = Buffer.from(Array.from({ length: 150_000 }, (_, i) => (i * 7) & 0xff));
    deliver(start(1, 'photo.raw', content.length));
    expect((await statusOf(1)).result).toBe(FileXferResult.CanSendData);
    for (let off = 0; off < content.length; off += 65536) deliver(data(1, content.subarray(off, off + 65536)));
    expect((await statusOf(1)).result).toBe(FileXferResult.Success);
    expect(readFileSync(join(downloads, 'photo.raw')).equals(content)).toBe(true);
  });

  it(`writes DATA that come while the disk is busy with one pwritev per ${MAX_BATCH_WRITES} messages at most, in order`, async () => {
    const probe = await open(join(home, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const writev = vi.spyOn(fileHandle, 'writev');
    const write = vi.spyOn(fileHandle, 'write');
    try {
      const pieces = Array.from({ length: MAX_BATCH_WRITES + 36 }, (_, i) => Buffer.alloc(1000, i));
      const content = Buffer.concat(pieces);
      deliver(start(5, 'many.bin', content.length));
      expect((await statusOf(5)).result).toBe(FileXferResult.CanSendData);
      // Handed over at once, as the session runner does with what one read of the channel held.
      for (const piece of pieces) deliver(data(5, piece));
      expect((await statusOf(5)).result).toBe(FileXferResult.Success);
      expect(readFileSync(join(downloads, 'many.bin')).equals(content)).toBe(true);
      expect(writev.mock.calls.map(([parts]) => parts.length)).toEqual([MAX_BATCH_WRITES, 36]);
      expect(write).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('receives an empty file with the one empty DATA spice-gtk sends', async () => {
    deliver(start(2, 'empty', 0));
    expect((await statusOf(2)).result).toBe(FileXferResult.CanSendData);
    deliver(data(2, Buffer.alloc(0)));
    expect((await statusOf(2)).result).toBe(FileXferResult.Success);
    expect(readFileSync(join(downloads, 'empty'))).toHaveLength(0);
  });

  it('picks "name (1).ext" when the name is taken, and refuses when 63 numbered names are too', async () => {
    mkdirSync(downloads);
    writeFileSync(join(downloads, 'a.txt'), 'old');
    deliver(start(1, 'a.txt', 1));
    expect((await statusOf(1)).result).toBe(FileXferResult.CanSendData);
    deliver(data(1, Buffer.from('x')));
    expect((await statusOf(1)).result).toBe(FileXferResult.Success);
    expect(readFileSync(join(downloads, 'a (1).txt'), 'utf8')).toBe('x');
    expect(readFileSync(join(downloads, 'a.txt'), 'utf8')).toBe('old');

    for (let n = 2; n <= 63; n++) writeFileSync(join(downloads, `a (${n}).txt`), '');
    deliver(start(2, 'a.txt', 1));
    expect((await statusOf(2)).info).toEqual({ kind: 'io-error', errorType: 0, errorCode: GioError.Exists });
  });

  it('answers ERROR and deletes the file when more data comes than announced', async () => {
    deliver(start(3, 'small', 2));
    await statusOf(3);
    deliver(data(3, Buffer.from('abc')));
    expect((await statusOf(3)).result).toBe(FileXferResult.Error);
    await expect.poll(files).toEqual([]);
  });

  it('deletes the partial file without a word when the client cancels or reports a read error', async () => {
    deliver(start(4, 'one', 10));
    deliver(start(5, 'two', 10));
    await statusOf(4);
    await statusOf(5);
    deliver(data(4, Buffer.from('12345')));
    deliver(clientStatus(4, FileXferResult.Cancelled));
    deliver(clientStatus(5, FileXferResult.Error));
    await expect.poll(files).toEqual([]);
    deliver(data(4, Buffer.from('12345')));
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual([]);
  });

  it('drops every transfer and its file on a new client, sending nothing', async () => {
    deliver(start(6, 'f1', 10));
    deliver(start(7, 'f2', 10));
    await statusOf(6);
    await statusOf(7);
    module.resetClient();
    await expect.poll(files).toEqual([]);
    deliver(data(6, Buffer.from('1234567890')));
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual([]);
  });

  it('deletes unfinished files when it stops', async () => {
    deliver(start(8, 'half', 10));
    await statusOf(8);
    deliver(data(8, Buffer.from('12345')));
    await module.stop();
    expect(files()).toEqual([]);
  });

  it('refuses an id that is already active with ERROR', async () => {
    deliver(start(5, 'first', 1));
    deliver(start(5, 'again', 1));
    expect(await statusOf(5)).toEqual({ type: MessageType.FileXferStatus, id: 5, result: FileXferResult.Error });
    expect((await statusOf(5)).result).toBe(FileXferResult.CanSendData);
    deliver(data(5, Buffer.from('1')));
    expect((await statusOf(5)).result).toBe(FileXferResult.Success);
    expect(files()).toEqual(['first']);
  });

  it(`refuses a transfer beyond ${MAX_ACTIVE_TRANSFERS} active ones with TOO_MANY_OPEN_FILES`, async () => {
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) deliver(start(id, `f${id}`, 1));
    deliver(start(1000, 'one-too-many', 1));
    expect((await statusOf(1000)).info).toEqual({ kind: 'io-error', errorType: 0, errorCode: GioError.TooManyOpenFiles });
  });

  it('refuses a key file without name or size, and names that are paths', async () => {
    deliver({ type: MessageType.FileXferStart, id: 9, keyfile: '[vdagent-file-xfer]\nsize=1\n' });
    expect((await statusOf(9)).info).toMatchObject({ errorCode: GioError.InvalidArgument });
    deliver(start(10, '../escape', 1));
    expect((await statusOf(10)).info).toMatchObject({ errorCode: GioError.InvalidFilename });
    expect(existsSync(join(home, 'escape'))).toBe(false);
  });

  it('answers NOT_ENOUGH_SPACE with the free byte count when the file cannot fit', async () => {
    deliver(start(11, 'huge', 2 ** 52));
    const s = await statusOf(11);
    const { bavail, bsize } = statfsSync(home, { bigint: true });
    expect(s.result).toBe(FileXferResult.NotEnoughSpace);
    // What is free moves while other processes write: the count is the folder's, give or take 256 MiB.
    const told = s.info?.kind === 'free-space' ? s.info.bytes : -1n;
    expect(told).toBeGreaterThan(0n);
    expect(Math.abs(Number(told - bavail * bsize))).toBeLessThan(256 * 2 ** 20);
    expect(files()).toEqual([]);
  });

  it('tells the GLib error when the folder cannot be made (a file is in the way)', async () => {
    writeFileSync(join(home, 'Incoming'), 'not a folder');
    deliver(start(12, 'a', 1));
    expect((await statusOf(12)).info).toMatchObject({ errorCode: GioError.Exists });
  });

  it('shows the file only once complete, with its mode, and nothing of it before', async () => {
    const umask = process.umask();
    deliver(start(20, 'slow.bin', 6));
    expect((await statusOf(20)).result).toBe(FileXferResult.CanSendData);
    deliver(data(20, Buffer.from('abc')));
    await new Promise((r) => setTimeout(r, 50));
    expect(files()).toEqual([]);
    deliver(data(20, Buffer.from('def')));
    expect((await statusOf(20)).result).toBe(FileXferResult.Success);
    expect(files()).toEqual(['slow.bin']);
    expect(readFileSync(join(downloads, 'slow.bin'), 'utf8')).toBe('abcdef');
    expect(statSync(join(downloads, 'slow.bin')).mode & 0o777).toBe(0o644 & ~umask);
  });

  it('takes the first free name when the file completes, so two transfers of one name both land', async () => {
    deliver(start(21, 'same.txt', 1));
    deliver(start(22, 'same.txt', 1));
    await statusOf(21);
    await statusOf(22);
    deliver(data(22, Buffer.from('2')));
    expect((await statusOf(22)).result).toBe(FileXferResult.Success);
    deliver(data(21, Buffer.from('1')));
    expect((await statusOf(21)).result).toBe(FileXferResult.Success);
    expect(readFileSync(join(downloads, 'same.txt'), 'utf8')).toBe('2');
    expect(readFileSync(join(downloads, 'same (1).txt'), 'utf8')).toBe('1');
  });

  it('tells the daemon once per START that the transfer is closed, whatever ended it', async () => {
    deliver(start(30, 'done', 1)); // completes
    deliver(start(31, 'cancelled', 5)); // the client cancels
    deliver(start(32, 'overrun', 1)); // too much data
    deliver({ type: MessageType.FileXferStart, id: 33, keyfile: 'junk' }); // refused at once
    deliver(start(34, 'reset', 5)); // a new client
    for (const id of [30, 31, 32, 34]) await statusOf(id);
    expect(await statusOf(33)).toMatchObject({ result: FileXferResult.Error });
    deliver(data(30, Buffer.from('x')));
    deliver(clientStatus(31, FileXferResult.Cancelled));
    deliver(data(32, Buffer.from('xy')));
    expect((await statusOf(30)).result).toBe(FileXferResult.Success);
    expect((await statusOf(32)).result).toBe(FileXferResult.Error);
    module.resetClient();
    await expect.poll(() => [...closed].sort()).toEqual([30, 31, 32, 33, 34]);
    expect(files()).toEqual(['done']);
  });

  it(`ends a transfer with ERROR (BUSY) when more than ${MAX_PENDING_WRITES} writes wait for the disk, leaving nothing`, async () => {
    deliver(start(40, 'many', 10_000));
    for (let i = 0; i <= MAX_PENDING_WRITES; i++) deliver(data(40, Buffer.from('x')));
    expect((await statusOf(40)).info).toEqual({ kind: 'io-error', errorType: 0, errorCode: GioError.Busy });
    await expect.poll(() => closed).toEqual([40]);
    expect(files()).toEqual([]);
  });

  it(`ends a transfer with ERROR (BUSY) when more than ${MAX_PENDING_BYTES} bytes wait for the disk, but takes one message of any size`, async () => {
    const big = Buffer.alloc(MAX_PENDING_BYTES + 1);
    deliver(start(41, 'one-big', big.length));
    deliver(data(41, big));
    expect((await statusOf(41)).result).toBe(FileXferResult.CanSendData);
    expect((await statusOf(41)).result).toBe(FileXferResult.Success);
    deliver(start(42, 'two-halves', big.length));
    deliver(data(42, big.subarray(0, 1)));
    deliver(data(42, big.subarray(1)));
    expect((await statusOf(42)).info).toEqual({ kind: 'io-error', errorType: 0, errorCode: GioError.Busy });
    await expect.poll(files).toEqual(['one-big']);
  });

  it('removes at start the hidden temporary files a killed helper left where O_TMPFILE is missing', async () => {
    mkdirSync(downloads);
    const left = await openHidden(downloads, 0o600);
    await left.handle.close();
    writeFileSync(join(downloads, 'kept.txt'), 'mine');
    const next = new FileXferModule();
    await next.start(collectingContext().ctx);
    await next.stop();
    expect(files()).toEqual(['kept.txt']);
  });

  it('ignores DATA and STATUS for ids it does not know', async () => {
    deliver(data(99, Buffer.from('x')));
    deliver(clientStatus(99, FileXferResult.Cancelled));
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual([]);
  });
});
