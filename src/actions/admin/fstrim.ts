import { closeSync, constants, openSync } from 'node:fs';
import { type Args, jsonInt, jsonObject, type JsonObject, QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText, ioctlBuffer } from '../../platform/libc.js';
import { inWorker } from './in-worker.js';
import { localMounts } from './mounts.js';

/** _IOWR('X', 121, struct fstrim_range) from linux/fs.h. */
const FITRIM = 0xc0185879;

/** One filesystem's GuestFilesystemTrimResult: bytes trimmed and the minimum the kernel used, or the error. */
export interface TrimResult {
  path: string;
  trimmed?: bigint;
  minimum?: bigint;
  error?: string;
}

/** The mount points of the local filesystems, in mount order. */
function mountpoints(): string[] {
  try {
    return localMounts().map((m) => m.dir);
  } catch {
    throw new QgaError(QgaErrorCode.CommandFailed, "failed to open mtab file: '/proc/self/mounts'");
  }
}

/**
 * Discards one filesystem's unused blocks from `minimum` bytes up (CAP_SYS_ADMIN), or says why
 * not in qemu-ga's words (a filesystem or device without discard is "trim not supported").
 */
function trimOne(path: string, minimum: bigint): TrimResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (err) {
    return { path, error: `failed to open: ${errorText(err)}` };
  }
  // struct fstrim_range { u64 start, len, minlen }: the whole filesystem; the kernel writes back len and minlen.
  const range = Buffer.alloc(24);
  range.writeBigUInt64LE(2n ** 64n - 1n, 8);
  range.writeBigUInt64LE(BigInt.asUintN(64, minimum), 16);
  try {
    ioctlBuffer(fd, FITRIM, range);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path, error: code === 'ENOTTY' || code === 'EOPNOTSUPP' ? 'trim not supported' : `failed to trim: ${errorText(err)}` };
  } finally {
    closeSync(fd);
  }
  return { path, trimmed: BigInt.asIntN(64, range.readBigUInt64LE(8)), minimum: BigInt.asIntN(64, range.readBigUInt64LE(16)) };
}

/** Trims each filesystem in turn (blocking: a large one takes seconds), the last mounted first as qemu-ga lists them. */
export function trimAll(dirs: readonly string[], minimum: bigint): TrimResult[] {
  return dirs.map((dir) => trimOne(dir, minimum)).reverse();
}

/** Runs trimAll on a worker thread, so the agent's other work goes on meanwhile. */
export function trimInWorker(dirs: readonly string[], minimum: bigint): Promise<TrimResult[]> {
  return inWorker(new URL('./fstrim-worker.js', import.meta.url), { dirs, minimum });
}

/**
 * guest-fstrim: every local filesystem (those guest-fsfreeze-freeze walks), one result each; one
 * that fails gets its error and the others go on.
 */
export async function fstrim(args: Args, trim = trimInWorker, dirs: () => string[] = mountpoints): Promise<JsonObject> {
  const results = await trim(dirs(), args.optInt('minimum') ?? 0n);
  return jsonObject({
    paths: results.map((r) =>
      jsonObject({ path: r.path, trimmed: r.trimmed === undefined ? undefined : jsonInt(r.trimmed), minimum: r.minimum === undefined ? undefined : jsonInt(r.minimum), error: r.error }),
    ),
  });
}
