import { accessSync, closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText } from '../../platform/libc.js';
import type { Logger } from '../../log/logger.js';
import { runProgram } from './run-program.js';

/** The sleep states the host can ask for. */
export const SUSPEND_MODES = ['ram', 'disk', 'hybrid'] as const;

/** A sleep state: guest-suspend-ram, -disk or -hybrid. */
export type SuspendMode = (typeof SUSPEND_MODES)[number];

/** The mode a guest-suspend-* command asks for, or undefined for another command. */
export function suspendModeOf(command: string): SuspendMode | undefined {
  return SUSPEND_MODES.find((mode) => command === `guest-suspend-${mode}`);
}

/** Where suspending looks, a seam: the kernel's power directory and the program search path. */
export interface SuspendSystem {
  /** The directory holding `state` (/sys/power). */
  powerDir: string;
  /** Directories searched for systemctl and pm-utils, as PATH lists them. */
  searchPath: string;
}

/** This machine's: /sys/power and the agent's own PATH. */
export const realSuspendSystem = (): SuspendSystem => ({ powerDir: '/sys/power', searchPath: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' });

/** Each mode's systemd unit and verb, pm-utils option and program, and /sys/power/state word (hybrid has none). */
const WAYS: Record<SuspendMode, { unit: string; verb: string; pmOption: string; pmProgram: string; state?: string }> = {
  disk: { unit: 'systemd-hibernate', verb: 'hibernate', pmOption: '--hibernate', pmProgram: 'pm-hibernate', state: 'disk' },
  ram: { unit: 'systemd-suspend', verb: 'suspend', pmOption: '--suspend', pmProgram: 'pm-suspend', state: 'mem' },
  hybrid: { unit: 'systemd-hybrid-sleep', verb: 'hybrid-sleep', pmOption: '--suspend-hybrid', pmProgram: 'pm-suspend-hybrid' },
};

const failed = (desc: string): QgaError => new QgaError(QgaErrorCode.CommandFailed, desc);

/** How a helper ran: its exit status (0 when a signal ended it, as WEXITSTATUS reads), 'absent', or why it could not start. */
type HelperEnd = number | 'absent' | QgaError;

/** Finds a program in the search path as execvp does, and runs it with its output discarded. */
async function runHelper(sys: SuspendSystem, name: string, args: readonly string[]): Promise<HelperEnd> {
  const program = sys.searchPath
    .split(delimiter)
    .map((dir) => join(dir || '.', name))
    .find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!program) return 'absent';
  const end = await runProgram(program, args);
  if ('error' in end) return failed(`failed to create child process, error 'Failed to execute child process \u201c${name}\u201d (${errorText(end.error)})'`);
  return end.code ?? 0;
}

/** systemd knows the mode's unit: `systemctl status` answers 1 to 3 (LSB: exists, not running). */
async function systemdSupports(sys: SuspendSystem, mode: SuspendMode): Promise<boolean> {
  const end = await runHelper(sys, 'systemctl', ['status', WAYS[mode].unit]);
  return typeof end === 'number' && end > 0 && end < 4;
}

/** `systemctl hibernate|suspend|hybrid-sleep`; the failure in qemu-ga's words. */
async function systemdSuspend(sys: SuspendSystem, mode: SuspendMode): Promise<QgaError | undefined> {
  const { verb } = WAYS[mode];
  const end = await runHelper(sys, 'systemctl', [verb]);
  if (end === 0) return undefined;
  if (end === 'absent') return failed(`the helper program 'systemctl ${verb}' was not found`);
  if (end instanceof QgaError) return end;
  return failed(`the helper program 'systemctl ${verb}' returned an unexpected exit status code (${end})`);
}

/** pm-utils' `pm-is-supported` answers 0 for the mode. */
async function pmUtilsSupports(sys: SuspendSystem, mode: SuspendMode): Promise<boolean> {
  return (await runHelper(sys, 'pm-is-supported', [WAYS[mode].pmOption])) === 0;
}

/** pm-hibernate, pm-suspend or pm-suspend-hybrid; the failure in qemu-ga's words. */
async function pmUtilsSuspend(sys: SuspendSystem, mode: SuspendMode): Promise<QgaError | undefined> {
  const { pmProgram } = WAYS[mode];
  const end = await runHelper(sys, pmProgram, []);
  if (end === 0) return undefined;
  if (end === 'absent') return failed(`the helper program '${pmProgram}' was not found`);
  if (end instanceof QgaError) return end;
  return failed(`the helper program '${pmProgram}' returned an unexpected exit status code (${end})`);
}

/** The kernel offers the mode: its word is in the first 31 bytes of `state` (never for hybrid). */
export function kernelSupports(powerDir: string, mode: SuspendMode): boolean {
  const word = WAYS[mode].state;
  if (!word) return false;
  let fd: number;
  try {
    fd = openSync(join(powerDir, 'state'), constants.O_RDONLY);
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(31);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('latin1', 0, n).includes(word);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Writes the mode's word to `state`; the failure as qemu-ga 7.2 words it (its child process wrote). */
function kernelSuspend(powerDir: string, mode: SuspendMode, log: Logger): QgaError | undefined {
  const path = join(powerDir, 'state');
  try {
    const fd = openSync(path, constants.O_WRONLY);
    try {
      writeSync(fd, WAYS[mode].state ?? '');
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (err) {
    log.error(`guest-suspend-${mode}: cannot write to ${path}: ${errorText(err)}`);
    return failed('child process has failed to suspend');
  }
}

/**
 * guest-suspend-ram, -disk and -hybrid, tried as qemu-ga tries them: systemd when it has the
 * mode's unit, else pm-utils when it supports the mode, else /sys/power/state. A way that fails
 * hands over to the next; only the last way's failure reaches the host (qemu-ga forgets the
 * others: they are logged here), and no way supporting the mode is qemu-ga's "not supported".
 * Success answers nothing (the guest goes to sleep).
 */
export async function suspend(mode: SuspendMode, sys: SuspendSystem, log: Logger): Promise<void> {
  const command = `guest-suspend-${mode}`;
  let supported = false;
  let failure: QgaError | undefined;
  if (await systemdSupports(sys, mode)) {
    supported = true;
    log.info(`${command}: systemctl ${WAYS[mode].verb}`);
    failure = await systemdSuspend(sys, mode);
    if (!failure) return;
    log.error(`${command}: ${failure.desc}`);
    failure = undefined;
  }
  if (await pmUtilsSupports(sys, mode)) {
    supported = true;
    log.info(`${command}: ${WAYS[mode].pmProgram}`);
    failure = await pmUtilsSuspend(sys, mode);
    if (!failure) return;
    log.error(`${command}: ${failure.desc}`);
    failure = undefined;
  }
  if (kernelSupports(sys.powerDir, mode)) {
    supported = true;
    log.info(`${command}: writing ${WAYS[mode].state ?? ''} to ${join(sys.powerDir, 'state')}`);
    failure = kernelSuspend(sys.powerDir, mode, log);
  }
  if (!supported) throw failed('the requested suspend mode is not supported by the guest');
  if (failure) throw failure;
}
