/** The logging the admin commands need; the daemon's winston logger is one. */
export interface AdminLog {
  info(message: string): unknown;
  warn(message: string): unknown;
  error(message: string): unknown;
  debug(message: string): unknown;
}
