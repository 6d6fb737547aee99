import { FileXferErrorType, FileXferResult, MessageType, type FileXferStatusMessage } from '../../protocol/index.js';

/** Most transfers active at once; one more is refused with TOO_MANY_OPEN_FILES (spec §10.2). */
export const MAX_ACTIVE_TRANSFERS = 128;

/** GLib `GIOErrorEnum` values sent as FILE_XFER_STATUS detail (spec §10.1). */
export enum GioError {
  Failed = 0,
  NotFound = 1,
  Exists = 2,
  IsDirectory = 3,
  NotDirectory = 4,
  FilenameTooLong = 9,
  InvalidFilename = 10,
  NoSpace = 12,
  InvalidArgument = 13,
  PermissionDenied = 14,
  ReadOnly = 21,
  Busy = 26,
  TooManyOpenFiles = 31,
}

/** errno codes and the GLib error the client is told. */
const FROM_ERRNO: Record<string, GioError> = {
  ENOENT: GioError.NotFound,
  EEXIST: GioError.Exists,
  EISDIR: GioError.IsDirectory,
  ENOTDIR: GioError.NotDirectory,
  ENAMETOOLONG: GioError.FilenameTooLong,
  ENOSPC: GioError.NoSpace,
  EDQUOT: GioError.NoSpace,
  EFBIG: GioError.NoSpace,
  EACCES: GioError.PermissionDenied,
  EPERM: GioError.PermissionDenied,
  EROFS: GioError.ReadOnly,
  EMFILE: GioError.TooManyOpenFiles,
  ENFILE: GioError.TooManyOpenFiles,
};

/** The GLib error for a failed file operation. */
export function gioErrorOf(err: unknown): GioError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (code === undefined ? undefined : FROM_ERRNO[code]) ?? GioError.Failed;
}

/** A FILE_XFER_STATUS without detail. */
export function xferStatus(id: number, result: FileXferResult): FileXferStatusMessage {
  return { type: MessageType.FileXferStatus, id, result };
}

/** FILE_XFER_STATUS ERROR with a GLib I/O error detail. */
export function xferIoError(id: number, code: GioError): FileXferStatusMessage {
  return { type: MessageType.FileXferStatus, id, result: FileXferResult.Error, info: { kind: 'io-error', errorType: FileXferErrorType.GlibIo, errorCode: code } };
}
