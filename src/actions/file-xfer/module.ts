import { mkdir, open, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FileXferResult,
  MessageType,
  type FileXferDataMessage,
  type FileXferStartMessage,
  type FileXferStatusMessage,
  type Message,
} from '../../protocol/index.js';
import type { ActionModule, ModuleContext } from '../module.js';
import { downloadDir } from './download-dir.js';
import { readTransferRequest } from './keyfile.js';
import { candidateNames, safeName } from './naming.js';
import { GioError, gioErrorOf, MAX_ACTIVE_TRANSFERS, xferIoError, xferStatus } from './status.js';

/** One file being received. */
interface Transfer {
  id: number;
  /** The announced size. */
  size: number;
  /** Data bytes accepted so far. */
  received: number;
  /** The file, once created. */
  path?: string;
  file?: FileHandle;
  /** The transfer's file operations, run one after the other: create, writes, close. */
  work: Promise<void>;
  /** Set when the transfer ended early: queued operations are skipped. */
  dropped: boolean;
}

/**
 * Receives files dropped on the client into the session user's download folder (spec §10): checks
 * the key file and the name, the free space, creates the file exclusively (`name (1).ext` … when
 * taken), pre-sizes it, writes DATA as it streams in, and answers SUCCESS or ERROR (deleting the
 * partial file). Runs in the session helper, as the user.
 */
export class FileXferModule implements ActionModule {
  readonly name = 'file-xfer';
  readonly capabilities = [];
  readonly handles = [MessageType.FileXferStart, MessageType.FileXferData, MessageType.FileXferStatus];
  readonly host = 'session';
  private ctx: ModuleContext | undefined;
  private readonly transfers = new Map<number, Transfer>();

  async start(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
  }

  async stop(): Promise<void> {
    await this.dropAll();
    this.ctx = undefined;
  }

  /** Resolves once the message's file work is done (the session helper acknowledges it then). */
  handle(message: Message): Promise<void> | void {
    if (message.type === MessageType.FileXferStart) return this.begin(message);
    if (message.type === MessageType.FileXferData) return this.receive(message);
    if (message.type === MessageType.FileXferStatus) return this.clientStatus(message);
  }

  resetClient(): void {
    // A new client or none: transfers are dropped and their files deleted, nothing is sent.
    void this.dropAll();
  }

  private begin(m: FileXferStartMessage): Promise<void> | void {
    if (this.transfers.size >= MAX_ACTIVE_TRANSFERS) return this.reply(xferIoError(m.id, GioError.TooManyOpenFiles));
    if (this.transfers.has(m.id)) return this.reply(xferStatus(m.id, FileXferResult.Error));
    const request = readTransferRequest(m.keyfile);
    if (!request) return this.reply(xferIoError(m.id, GioError.InvalidArgument));
    const name = safeName(request.name);
    if (!name) return this.reply(xferIoError(m.id, GioError.InvalidFilename));
    const t: Transfer = { id: m.id, size: request.size, received: 0, work: Promise.resolve(), dropped: false };
    this.transfers.set(t.id, t);
    return this.step(t, () => this.create(t, name));
  }

  /** Checks the space, creates the file under a free name, pre-sizes it, and asks for data. */
  private async create(t: Transfer, name: string): Promise<void> {
    const dir = await downloadDir();
    await mkdir(dir, { recursive: true });
    const { bavail, bsize } = await statfs(dir, { bigint: true });
    const free = bavail * bsize;
    if (BigInt(t.size) > free) {
      this.finish(t, { type: MessageType.FileXferStatus, id: t.id, result: FileXferResult.NotEnoughSpace, info: { kind: 'free-space', bytes: free } });
      return;
    }
    for (const candidate of candidateNames(name)) {
      const path = join(dir, candidate);
      try {
        t.file = await open(path, 'wx', 0o644);
        t.path = path;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    if (!t.file) return this.finish(t, xferIoError(t.id, GioError.Exists));
    await t.file.truncate(t.size);
    if (t.dropped) return;
    this.ctx?.log.info(`file-xfer ${t.id}: receiving ${t.size} bytes into ${t.path}`);
    this.reply(xferStatus(t.id, FileXferResult.CanSendData));
  }

  private receive(m: FileXferDataMessage): Promise<void> | void {
    const t = this.transfers.get(m.id);
    if (!t) return; // unknown or finished id: ignored
    if (t.received + m.data.length > t.size) {
      this.finish(t, xferStatus(t.id, FileXferResult.Error));
      return;
    }
    const position = t.received;
    t.received += m.data.length;
    const last = t.received === t.size;
    return this.step(t, async () => {
      const file = t.file as FileHandle;
      await file.write(m.data, 0, m.data.length, position);
      if (!last) return;
      t.file = undefined;
      this.transfers.delete(t.id);
      await file.close();
      this.ctx?.log.info(`file-xfer ${t.id}: ${t.path} complete`);
      this.reply(xferStatus(t.id, FileXferResult.Success));
    });
  }

  private clientStatus(m: FileXferStatusMessage): Promise<void> | void {
    const t = this.transfers.get(m.id);
    // CANCELLED (user) or ERROR (read error) from the client: delete silently; anything else is ignored.
    if (t && (m.result === FileXferResult.Cancelled || m.result === FileXferResult.Error)) return this.drop(t);
  }

  /** Queues a file operation; a failure ends the transfer with ERROR and its GLib error code. */
  private step(t: Transfer, op: () => Promise<void>): Promise<void> {
    return (t.work = t.work
      .then(async () => {
        if (!t.dropped) await op();
      })
      .catch((err: unknown) => {
        this.ctx?.log.warn(`file-xfer ${t.id}: ${err instanceof Error ? err.message : String(err)}`);
        this.finish(t, xferIoError(t.id, gioErrorOf(err)));
      }));
  }

  /** Ends a transfer early with a status to the client; the partial file is deleted. */
  private finish(t: Transfer, status: FileXferStatusMessage): void {
    if (t.dropped) return;
    this.drop(t);
    this.reply(status);
  }

  /** Forgets a transfer, closes and deletes its file once queued operations have run. */
  private drop(t: Transfer): Promise<void> {
    t.dropped = true;
    this.transfers.delete(t.id);
    return (t.work = t.work.then(async () => {
      await t.file?.close().catch(() => undefined);
      t.file = undefined;
      if (t.path) await unlink(t.path).catch(() => undefined);
    }));
  }

  private async dropAll(): Promise<void> {
    const all = [...this.transfers.values()];
    for (const t of all) this.drop(t);
    await Promise.all(all.map((t) => t.work));
  }

  private reply(status: FileXferStatusMessage): void {
    this.ctx?.send(status);
  }
}
