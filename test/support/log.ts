import type { Logger } from '../../src/log/logger.js';

/** A logger that records its lines (`level: message`) in memory; debug lines only when `debug`. */
export function memoryLogger(debug = false): { log: Logger; lines: () => string[] } {
  const lines: string[] = [];
  let silent = false;
  const record = (level: string) => (message: string) => {
    if (!silent) lines.push(`${level}: ${message}`);
  };
  const log: Logger = {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: (message) => debug && record('debug')(message),
    debugEnabled: debug,
    silence: (on) => (silent = on),
  };
  return { log, lines: () => lines };
}
