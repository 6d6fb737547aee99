import { accessSync, constants } from 'node:fs';
import { type Args, type JsonObject, QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText, setRealtimeClock } from '../../platform/libc.js';
import { runProgram } from './run-program.js';

/** The system clock, a seam: tests that must not move the machine's clock record the call instead. */
export interface SystemClock {
  /** Sets the wall clock to `ns` nanoseconds since the epoch; throws a system error. */
  set(ns: bigint): void;
}

/** The real clock (CAP_SYS_TIME). */
export const realClock: SystemClock = { set: setRealtimeClock };

/**
 * guest-set-time: with `time`, sets the system clock to it and then the RTC from it (`hwclock -w`);
 * without, sets the system clock from the RTC (`hwclock -s`).
 */
export async function setTime(args: Args, hwclock: string, clock: SystemClock): Promise<JsonObject> {
  try {
    accessSync(hwclock, constants.X_OK);
  } catch {
    throw new QgaError(QgaErrorCode.Unsupported, 'this feature or command is not currently supported');
  }
  const time = args.optInt('time');
  if (time !== undefined) {
    // Like qemu-ga's struct timeval: seconds and microseconds each truncated towards zero, so
    // -999 ns is the epoch and -1000 ns a negative microsecond the kernel refuses; the seconds
    // must fall in local years 1970 to 2069.
    const sec = time / 1_000_000_000n;
    const usec = (time % 1_000_000_000n) / 1000n;
    const year = new Date(Number(sec) * 1000).getFullYear();
    if (year < 1970 || year >= 2070) throw new QgaError(QgaErrorCode.InvalidParameterValue, 'Invalid time');
    try {
      clock.set(sec * 1_000_000_000n + usec * 1000n);
    } catch (err) {
      throw new QgaError(QgaErrorCode.CommandFailed, `Failed to set time to guest: ${errorText(err)}`);
    }
  }
  const end = await runProgram(hwclock, [time === undefined ? '-s' : '-w']);
  if ('error' in end || end.code !== 0) {
    throw new QgaError(QgaErrorCode.CommandFailed, 'hwclock failed to set hardware clock to system time');
  }
  return new Map();
}
