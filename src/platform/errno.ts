import os from 'node:os';

/** A failed system call or I/O operation, shaped as Node's own system errors: `code` the errno name, `errno` its negated number. */
export class ErrnoError extends Error {
  /** The errno name: ENOENT, EAGAIN, … (UNKNOWN for a number Node does not name). */
  readonly code: string;
  /** The errno number, negated as Node's errors carry it; undefined for a name Node does not number. */
  readonly errno: number | undefined;

  constructor(code: string, message: string, errno: number | undefined = os.constants.errno[code as keyof typeof os.constants.errno]) {
    super(`${code}: ${message}`);
    this.code = code;
    this.errno = errno === undefined ? undefined : -errno;
  }

  /** The error for an errno number as libc sets it (positive), from the call `what`. */
  static of(errno: number, what: string): ErrnoError {
    const code = Object.entries(os.constants.errno).find(([, v]) => v === errno)?.[0] ?? 'UNKNOWN';
    return new ErrnoError(code, what, errno);
  }
}

/** Whether a failed read or write on a non-blocking descriptor is worth retrying: 'again' (no data or room yet), 'intr' (interrupted), else undefined. */
export function isRetry(err: unknown): 'again' | 'intr' | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'again';
  return code === 'EINTR' ? 'intr' : undefined;
}
