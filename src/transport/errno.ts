/** An Error carrying an errno-style `code`, as Node's own I/O errors do. */
export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** Whether a failed read or write on a non-blocking descriptor is worth retrying: 'again' (no data or room yet), 'intr' (interrupted), else undefined. */
export function isRetry(err: unknown): 'again' | 'intr' | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'again';
  return code === 'EINTR' ? 'intr' : undefined;
}
