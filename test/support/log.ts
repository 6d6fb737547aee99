import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.js';

/** A logger that collects its lines in memory. */
export function memoryLogger(debug = false): { log: Logger; lines: () => string[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { log: createLogger({ stream, debug, journal: false }), lines: () => lines };
}
