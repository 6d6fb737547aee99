import winston from 'winston';
import { formatLine, type Level, type LineWriter } from './logger.js';

/** A writer through winston's stream transport, in the same line format: the root daemon's. */
export function winstonWriter(stream: NodeJS.WritableStream, journal: boolean): LineWriter {
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.printf((i) => formatLine(i.level as Level, String(i.message), journal)),
    transports: [new winston.transports.Stream({ stream })],
  });
  return (level, message) => void logger.log(level, message);
}
