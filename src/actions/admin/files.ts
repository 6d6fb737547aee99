import { close as closeFd, closeSync, constants, fchmod, fstatSync, open as openFd, read as readFd, write as writeFd } from 'node:fs';
import { promisify } from 'node:util';
import { type Args, decodeBase64, JsonBytes, jsonObject, type JsonObject, modifiedUtf8, QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText, lseek } from '../../platform/libc.js';
import type { StateStore } from './state.js';

/** Largest guest-file-read count: its base64 must fit QEMU's 64 MiB token limit. */
export const MAX_READ = 48 * 1024 * 1024;
/** Handles open at once; past it guest-file-open fails as if the process were out of descriptors. */
export const MAX_HANDLES = 128;
/**
 * Handles reserved in the state directory at a time. qemu-ga records its counter at every open;
 * recording the end of a block instead writes once per HANDLE_BLOCK opens, and a restarted agent
 * still starts above every handle given before (at the end of the block, leaving a gap).
 */
export const HANDLE_BLOCK = 64;
/** Mode of files guest-file-open creates (qemu-ga uses 0666; only root should read what the host writes). */
export const CREATE_MODE = 0o600;

const c = constants;
const O_CLOEXEC = 0o2000000;
/** fopen modes and their open flags. */
const MODES: Readonly<Record<string, number>> = {
  r: c.O_RDONLY,
  w: c.O_WRONLY | c.O_CREAT | c.O_TRUNC,
  a: c.O_WRONLY | c.O_CREAT | c.O_APPEND,
  'r+': c.O_RDWR,
  'w+': c.O_RDWR | c.O_CREAT | c.O_TRUNC,
  'a+': c.O_RDWR | c.O_CREAT | c.O_APPEND,
};

/** The open flags of an fopen-style mode (`rb`, `r+b`, `rb+` …), or undefined. */
export function openFlags(mode: string): number | undefined {
  const m = /^([rwa])(b?)(\+?)(b?)$/.exec(mode);
  if (!m || (m[2] && m[4])) return undefined;
  return MODES[`${m[1]}${m[3]}`];
}

// On libuv's thread pool, not the event loop: a read or write may wait in the kernel for as long
// as the file's other writers or its filesystem (a hung network mount) like, and the SPICE port
// shares the event loop.
const openAsync = promisify(openFd);
const fchmodAsync = promisify(fchmod);
const closeAsync = promisify(closeFd);
const readAsync = (fd: number, buf: Buffer, at: number): Promise<number> =>
  new Promise((resolve, reject) => readFd(fd, buf, at, buf.length - at, null, (err, n) => (err ? reject(err) : resolve(n))));
const writeAsync = (fd: number, data: Buffer, from: number, to: number): Promise<number> =>
  new Promise((resolve, reject) => writeFd(fd, data, from, to - from, null, (err, n) => (err ? reject(err) : resolve(n))));

const invalidCount = (n: bigint): QgaError => new QgaError(QgaErrorCode.InvalidParameterValue, `value '${n}' is invalid for argument count`);
const [SEEK_SET, SEEK_CUR, SEEK_END] = [0, 1, 2];
const WHENCE: Readonly<Record<string, number>> = { set: SEEK_SET, cur: SEEK_CUR, end: SEEK_END };

/**
 * guest-file-*: open files by handle, unbuffered, non-blocking, at most MAX_HANDLES at once; each
 * open, read, write and close runs off the event loop (requests still run one at a time).
 * Handles keep counting across restarts, so a host holding an old one cannot reach another file.
 */
export class FileCommands {
  private readonly handles = new Map<bigint, number>();
  private next: number;

  constructor(private readonly state: StateStore) {
    this.next = state.state.handleLimit;
  }

  /** Makes sure the next handle is reserved, recording a new block when the current one is used up. */
  private reserve(): void {
    if (this.next < this.state.state.handleLimit) return;
    try {
      this.state.update({ handleLimit: this.next + HANDLE_BLOCK });
    } catch {
      throw new QgaError(QgaErrorCode.CommandFailed, 'failed to commit persistent state to disk');
    }
  }

  private fd(args: Args): number {
    const handle = args.int('handle');
    const fd = this.handles.get(handle);
    if (fd === undefined) throw new QgaError(QgaErrorCode.HandleNotFound, `handle '${handle}' has not been found`);
    return fd;
  }

  /** guest-file-open: a new handle; a file it creates gets mode 0600 whatever the umask. */
  async open(args: Args): Promise<number | bigint> {
    const path = args.str('path');
    const mode = args.optStr('mode') ?? 'r';
    const flags = openFlags(mode);
    if (flags === undefined) throw new QgaError(QgaErrorCode.InvalidParameterValue, `invalid file open mode '${mode}'`);
    if (this.handles.size >= MAX_HANDLES) {
      throw new QgaError(QgaErrorCode.LimitReached, `failed to open file '${path}' (mode: '${mode}'): Too many open files (${MAX_HANDLES} handles)`);
    }
    this.reserve();
    const base = flags | c.O_NOCTTY | c.O_NONBLOCK | O_CLOEXEC;
    // The name qemu-ga opens: a NUL from the host is the bytes C0 80, not the end of the name.
    const name = path.includes('\0') ? modifiedUtf8(path) : path;
    let fd: number;
    try {
      if (flags & c.O_CREAT) {
        try {
          fd = await openAsync(name, base | c.O_EXCL, CREATE_MODE);
          await fchmodAsync(fd, CREATE_MODE);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          fd = await openAsync(name, base & ~c.O_CREAT);
        }
      } else {
        fd = await openAsync(name, base);
      }
    } catch (err) {
      throw new QgaError(QgaErrorCode.CommandFailed, `failed to open file '${path}' (mode: '${mode}'): ${errorText(err)}`);
    }
    const handle = this.next++;
    this.handles.set(BigInt(handle), fd);
    return handle;
  }

  /** guest-file-close. */
  async close(args: Args): Promise<JsonObject> {
    const fd = this.fd(args);
    this.handles.delete(args.int('handle'));
    await closeAsync(fd);
    return new Map();
  }

  /** guest-file-read: up to `count` bytes (4096 by default; checked before anything is allocated). */
  async read(args: Args): Promise<JsonObject> {
    const fd = this.fd(args);
    const count = args.optInt('count') ?? 4096n;
    if (count < 0n || count > BigInt(MAX_READ)) throw invalidCount(count);
    const buf = Buffer.allocUnsafe(Number(count));
    let got = 0;
    let eof = false;
    try {
      while (got < buf.length) {
        const n = await readAsync(fd, buf, got);
        if (n === 0) {
          eof = true;
          break;
        }
        got += n;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || got === 0) {
        throw new QgaError(QgaErrorCode.CommandFailed, `failed to read file: ${errorText(err)}`);
      }
    }
    return jsonObject({ count: got, 'buf-b64': new JsonBytes([buf.subarray(0, got)]), eof });
  }

  /** guest-file-write: the decoded bytes, or their first `count`. */
  async write(args: Args): Promise<JsonObject> {
    const fd = this.fd(args);
    const data = decodeBase64(args.str('buf-b64'));
    const count = args.optInt('count') ?? BigInt(data.length);
    if (count < 0n || count > BigInt(data.length)) throw invalidCount(count);
    let done = 0;
    try {
      while (done < count) done += await writeAsync(fd, data, done, Number(count));
    } catch (err) {
      throw new QgaError(QgaErrorCode.CommandFailed, `failed to write to file: ${errorText(err)}`);
    }
    return jsonObject({ count: done, eof: false });
  }

  /** guest-file-seek: whence as 0/1/2 or set/cur/end; answers the new position. */
  seek(args: Args): JsonObject {
    const fd = this.fd(args);
    const offset = args.int('offset');
    const whenceArg = args.optIntOrStr('whence') ?? 0n;
    const whence = typeof whenceArg === 'string' ? (WHENCE[whenceArg] ?? 0) : Number(whenceArg);
    if (typeof whenceArg === 'bigint' && (whenceArg < 0n || whenceArg > 2n)) {
      throw new QgaError(QgaErrorCode.InvalidParameterValue, `invalid whence code ${whenceArg}`);
    }
    try {
      // fseek(3), which qemu-ga calls, takes the end of a regular file from fstat: the size the
      // kernel states (0 for /proc files, whose lseek refuses SEEK_END), wrapping as off_t does.
      const file = whence === SEEK_END ? fstatSync(fd, { bigint: true }) : undefined;
      const position = file?.isFile() ? lseek(fd, BigInt.asIntN(64, file.size + offset), SEEK_SET) : lseek(fd, offset, whence);
      return jsonObject({ position, eof: false });
    } catch (err) {
      throw new QgaError(QgaErrorCode.CommandFailed, `failed to seek file: ${errorText(err)}`);
    }
  }

  /** guest-file-flush: writes are unbuffered, so only the handle is checked. */
  flush(args: Args): JsonObject {
    this.fd(args);
    return new Map();
  }

  /** Closes every open handle. */
  closeAll(): void {
    for (const fd of this.handles.values()) closeSync(fd);
    this.handles.clear();
  }
}
