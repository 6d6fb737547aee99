import { type Args, QgaError, QgaErrorCode } from '../../qga/index.js';
import type { Logger } from '../../log/logger.js';
import { runProgram } from './run-program.js';

const MODES = ['powerdown', 'halt', 'reboot'];

/**
 * guest-shutdown: runs the shutdown entry with the mode as its only argument and waits for it.
 * Success answers nothing (the host sees the guest go down); failures answer like qemu-ga.
 */
export async function shutdown(args: Args, program: string | undefined, log: Logger): Promise<void> {
  const mode = args.optStr('mode') ?? 'powerdown';
  if (!MODES.includes(mode)) throw new QgaError(QgaErrorCode.InvalidParameterValue, 'mode is invalid (valid values are: halt|powerdown|reboot');
  if (!program) throw new QgaError(QgaErrorCode.Unsupported, 'this feature or command is not currently supported');
  log.info(`guest-shutdown: running ${program} ${mode}`);
  const end = await runProgram(program, [mode]);
  if ('error' in end) {
    log.error(`guest-shutdown: cannot run ${program}: ${end.error.message}`);
    throw new QgaError(QgaErrorCode.CommandFailed, 'child process has failed to shutdown');
  }
  if (end.signal) throw new QgaError(QgaErrorCode.CommandFailed, 'child process has terminated abnormally');
  if (end.code !== 0) {
    log.error(`guest-shutdown: ${program} ${mode} exited with status ${end.code}${end.output ? `: ${end.output.trim()}` : ''}`);
    throw new QgaError(QgaErrorCode.CommandFailed, 'child process has failed to shutdown');
  }
}
