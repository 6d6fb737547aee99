import { lstat, mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { FolderOpener } from '../../platform/xdg-open.js';
import {
  FileXferResult,
  MessageType,
  type FileXferDataMessage,
  type FileXferStartMessage,
  type FileXferStatusMessage,
  type Message,
} from '../../protocol/index.js';
import type { ActionModule, ModuleContext } from '../module.js';
import { isOn } from '../on-off.js';
import { readTransferRequest } from './keyfile.js';
import { candidateNames, safeName } from './naming.js';
import { openPendingFile, removeLeftovers, type PendingFile } from './pending-file.js';
import { parseSaveDirSetting, saveDir, type SaveDirSetting } from './save-dir.js';
import { GioError, gioErrorOf, MAX_ACTIVE_TRANSFERS, xferIoError, xferStatus } from './status.js';
import { WriteBatch } from './write-batch.js';

/** Most DATA bytes waiting to be written, per transfer (one message of any size is always taken). */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Most DATA messages waiting to be written, per transfer. */
export const MAX_PENDING_WRITES = 512;
/** The mode a received file gets (less the umask). */
const FILE_MODE = 0o644;

/** One file being received. */
interface Transfer {
  id: number;
  /** The client's file name, checked. */
  name: string;
  /** The announced size. */
  size: number;
  /** Data bytes accepted so far. */
  received: number;
  /** DATA accepted but not yet written: bytes and messages. */
  pendingBytes: number;
  pendingWrites: number;
  /** The folder it goes to, once found. */
  dir?: string;
  /** The unnamed file, once opened. */
  file?: PendingFile;
  /** The transfer's file operations, run one after the other: open, writes, publish, close. */
  work: Promise<void>;
  /** Set when the transfer ended (done, failed, cancelled): queued operations are skipped. */
  ended: boolean;
  /** The DATA waiting for their write while more may join them. */
  batch?: Batch;
}

/** DATA of one transfer written together (see {@link WriteBatch}). */
interface Batch {
  readonly writes: WriteBatch;
  /** Whether it holds the transfer's last byte: the file is published once it is written. */
  last: boolean;
  /** Settles once its write (and, for the last, the publishing) is done or failed. */
  done: Promise<void>;
}

/**
 * Receives files dropped on the client into the folder of the entry's `dir` (by default the
 * session user's download folder; spec §10): checks the key file and the name, the free space,
 * writes DATA as it streams in into an unnamed file in that folder (created when missing; the DATA
 * that come while the disk is busy are written together, see {@link WriteBatch}), and at
 * the last byte syncs it and links it under the name (`name (1).ext` … when taken), then answers
 * SUCCESS. A transfer that ends otherwise leaves nothing. Each START's end is told to the daemon
 * once its file is closed, so the daemon counts the transfer until then. With `open-when-done`,
 * the file that ends a batch (none other in progress, as spice-vdagent counts) has its folder
 * opened with xdg-open when the session has a display. Runs in the session helper, as the user.
 */
export class FileXferModule implements ActionModule {
  readonly name = 'file-xfer';
  readonly capabilities = [];
  readonly handles = [MessageType.FileXferStart, MessageType.FileXferData, MessageType.FileXferStatus];
  /** A DATA's bytes are written (or dropped) once its handling settled: nothing keeps them. */
  readonly releases = [MessageType.FileXferData];
  readonly host = 'session';
  private ctx: ModuleContext | undefined;
  /** Where files go: the entry's `dir`, found anew for each transfer. */
  private dirSetting: SaveDirSetting = parseSaveDirSetting(undefined);
  /** Runs xdg-open when `open-when-done` is on. */
  private opener: FolderOpener | undefined;
  /** Transfers the client may still address, by id. */
  private readonly transfers = new Map<number, Transfer>();
  /** Transfers whose file is not closed yet (those ended included): at most 128. */
  private readonly held = new Set<Transfer>();

  async start(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
    // Checked by the daemon when the entry was read: the values are valid here.
    this.dirSetting = parseSaveDirSetting(ctx.settings.get('dir'));
    this.opener = isOn(ctx.settings.get('open-when-done'), false) ? new FolderOpener(ctx.log) : undefined;
    await removeLeftovers(await saveDir(this.dirSetting));
  }

  async stop(): Promise<void> {
    await this.dropAll();
    this.opener?.stop();
    this.opener = undefined;
    this.ctx = undefined;
  }

  /** Resolves once the message's file work is done (the session helper acknowledges it then). */
  handle(message: Message): Promise<void> | void {
    if (message.type === MessageType.FileXferStart) return this.begin(message);
    if (message.type === MessageType.FileXferData) return this.receive(message);
    if (message.type === MessageType.FileXferStatus) return this.clientStatus(message);
  }

  resetClient(): void {
    // A new client or none: transfers are dropped, those whose last byte is still being written
    // included (the next client may reuse their ids), nothing of their files remains, nothing is sent.
    const dropped = [...this.held].filter((t) => !t.ended).map((t) => t.id);
    if (dropped.length > 0) this.ctx?.log.info(`file-xfer: a new client: transfer ${dropped.join(', ')} dropped`);
    void this.dropAll();
  }

  private begin(m: FileXferStartMessage): Promise<void> | void {
    const refuse = (status: FileXferStatusMessage): void => {
      this.reply(status);
      this.ctx?.closed?.(m.id);
    };
    if (this.held.size >= MAX_ACTIVE_TRANSFERS) return refuse(xferIoError(m.id, GioError.TooManyOpenFiles));
    if (this.transfers.has(m.id)) return refuse(xferStatus(m.id, FileXferResult.Error));
    const request = readTransferRequest(m.keyfile);
    if (!request) return refuse(xferIoError(m.id, GioError.InvalidArgument));
    const name = safeName(request.name);
    if (!name) return refuse(xferIoError(m.id, GioError.InvalidFilename));
    const t: Transfer = { id: m.id, name, size: request.size, received: 0, pendingBytes: 0, pendingWrites: 0, work: Promise.resolve(), ended: false };
    this.transfers.set(t.id, t);
    this.held.add(t);
    return this.step(t, () => this.open(t));
  }

  /** Checks the space and that a name is free, opens the unnamed file, pre-sizes it, and asks for data. */
  private async open(t: Transfer): Promise<void> {
    const dir = await saveDir(this.dirSetting);
    t.dir = dir;
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) this.ctx?.log.info(`file-xfer: created ${dir}`);
    const { bavail, bsize } = await statfs(dir, { bigint: true });
    const free = bavail * bsize;
    if (BigInt(t.size) > free) {
      void this.end(t, { type: MessageType.FileXferStatus, id: t.id, result: FileXferResult.NotEnoughSpace, info: { kind: 'free-space', bytes: free } });
      return;
    }
    if (!(await anyFree(dir, candidateNames(t.name)))) {
      // Not returned: this runs inside the transfer's own work chain, which end() extends.
      void this.end(t, xferIoError(t.id, GioError.Exists));
      return;
    }
    t.file = await openPendingFile(dir, FILE_MODE);
    await t.file.handle.truncate(t.size);
    if (t.ended) return;
    this.ctx?.log.info(`file-xfer ${t.id}: receiving ${t.size} bytes for ${join(dir, t.name)}`);
    this.reply(xferStatus(t.id, FileXferResult.CanSendData));
  }

  private receive(m: FileXferDataMessage): Promise<void> | void {
    const t = this.transfers.get(m.id);
    if (!t) return; // unknown or finished id: ignored
    if (t.received + m.data.length > t.size) return this.end(t, xferStatus(t.id, FileXferResult.Error));
    if (t.pendingWrites > 0 && (t.pendingWrites >= MAX_PENDING_WRITES || t.pendingBytes + m.data.length > MAX_PENDING_BYTES)) {
      // One text for every transfer, so the logger's limit on identical warnings holds a flooding client.
      this.ctx?.log.warn(`file-xfer: DATA came faster than the disk took it (over ${MAX_PENDING_WRITES} writes or ${MAX_PENDING_BYTES} bytes waiting); transfer ended with BUSY`);
      return this.end(t, xferIoError(t.id, GioError.Busy));
    }
    const position = t.received;
    t.received += m.data.length;
    t.pendingBytes += m.data.length;
    t.pendingWrites++;
    const last = t.received === t.size;
    // Complete: what the client says of this id from now on is for a finished transfer.
    if (last) this.transfers.delete(t.id);
    // DATA that come while the previous write runs join the batch waiting for its turn.
    const open = t.batch;
    if (open?.writes.add(m.data)) {
      open.last = last;
      return open.done;
    }
    const batch: Batch = { writes: new WriteBatch(position), last, done: Promise.resolve() };
    batch.writes.add(m.data);
    t.batch = batch;
    batch.done = this.step(t, () => this.flush(t, batch));
    return batch.done;
  }

  /** Writes a batch of DATA with one pwritev; after the last byte, publishes the file and answers SUCCESS. */
  private async flush(t: Transfer, batch: Batch): Promise<void> {
    if (t.batch === batch) t.batch = undefined;
    const file = t.file as PendingFile;
    await batch.writes.write(file.handle);
    t.pendingBytes -= batch.writes.bytes;
    t.pendingWrites -= batch.writes.writes;
    // Ended while its last bytes were written or synced (the client left): it is not published.
    if (!batch.last || t.ended) return;
    const path = await file.publish(candidateNames(t.name), () => !t.ended);
    if (t.ended) return; // the client left during the sync (no name) or just after the link: nobody to tell
    if (!path) {
      void this.end(t, xferIoError(t.id, GioError.Exists));
      return;
    }
    this.ctx?.log.info(`file-xfer ${t.id}: ${path} complete`);
    void this.end(t, xferStatus(t.id, FileXferResult.Success));
    if (![...this.held].some((other) => !other.ended)) this.batchDone(t.dir as string);
  }

  private clientStatus(m: FileXferStatusMessage): Promise<void> | void {
    const t = this.transfers.get(m.id);
    // CANCELLED (user) or ERROR (read error) from the client: dropped silently; anything else is ignored.
    if (t && (m.result === FileXferResult.Cancelled || m.result === FileXferResult.Error)) return this.end(t);
  }

  /** Queues a file operation; a failure ends the transfer with ERROR and its GLib error code. */
  private step(t: Transfer, op: () => Promise<void>): Promise<void> {
    return (t.work = t.work
      .then(async () => {
        if (!t.ended) await op();
      })
      .catch((err: unknown) => {
        this.ctx?.log.warn(`file-xfer ${t.id}: ${err instanceof Error ? err.message : String(err)}`);
        void this.end(t, xferIoError(t.id, gioErrorOf(err)));
      }));
  }

  /**
   * Ends a transfer (with a status to the client, or silently): its id is free for the client at
   * once; its file is closed once queued operations have run, then the daemon hears it is gone.
   */
  private end(t: Transfer, status?: FileXferStatusMessage): Promise<void> {
    if (t.ended) return t.work;
    t.ended = true;
    if (this.transfers.get(t.id) === t) this.transfers.delete(t.id);
    if (status) this.reply(status);
    return (t.work = t.work.then(async () => {
      await t.file?.close();
      t.file = undefined;
      this.held.delete(t);
      this.ctx?.closed?.(t.id);
    }));
  }

  /** The last file of a batch is in `dir`: with `open-when-done`, the folder opens if the session has a display. */
  private batchDone(dir: string): void {
    if (!this.opener) return;
    const env = process.env;
    if (!env.WAYLAND_DISPLAY && !env.DISPLAY) {
      this.ctx?.log.info(`file-xfer: transfers done; the session has no display (neither WAYLAND_DISPLAY nor DISPLAY), ${dir} not opened`);
      return;
    }
    this.ctx?.log.info(`file-xfer: transfers done; opening ${dir}`);
    void this.opener.open(dir, env);
  }

  /** Ends every transfer whose file is open, those complete but not yet published too. */
  private async dropAll(): Promise<void> {
    for (const t of this.held) void this.end(t);
    await Promise.all([...this.held].map((t) => t.work));
  }

  private reply(status: FileXferStatusMessage): void {
    this.ctx?.send(status);
  }
}

/** Whether one of `names` is not taken in `dir` (a name that cannot be looked up counts as taken). */
async function anyFree(dir: string, names: readonly string[]): Promise<boolean> {
  for (const name of names) {
    const taken = await lstat(join(dir, name)).then(
      () => true,
      (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
    );
    if (!taken) return true;
  }
  return false;
}
