import { type Args, decodeBase64, modifiedUtf8, QgaError, QgaErrorCode } from '../../qga/index.js';
import type { Logger } from '../../log/logger.js';
import { runProgram } from './run-program.js';
import { checkUserAllowed, lookupUser } from './user-account.js';
import type { UserRule } from './user-rule.js';

/** What guest-set-user-password works with: the set-user-password entry's settings. */
export interface PasswordPolicy {
  users: UserRule;
  chpasswd: string;
}

const failed = (desc: string, code = QgaErrorCode.CommandFailed): QgaError => new QgaError(code, desc);

/**
 * The `user:password` line for chpasswd, after qemu-ga's checks (in its order): no newline in the
 * decoded password, no newline or ':' in the user name. A NUL in the password is refused too:
 * qemu-ga would cut the password there and set a shorter one than the host sent.
 */
export function chpasswdLine(username: string, password: Buffer): Buffer {
  if (password.includes(0x0a) || password.includes(0)) throw failed('forbidden characters in raw password', QgaErrorCode.InvalidParameterValue);
  if (/[\n:]/.test(username)) throw failed('forbidden characters in username', QgaErrorCode.InvalidParameterValue);
  return Buffer.concat([modifiedUtf8(username), Buffer.of(0x3a), password, Buffer.of(0x0a)]);
}

/**
 * guest-set-user-password: runs chpasswd (`-e` when the password is already crypted) by argument
 * vector, with the `user:password` line on its standard input, and answers as qemu-ga does.
 */
export async function setUserPassword(args: Args, policy: PasswordPolicy, log: Logger): Promise<void> {
  const username = args.str('username');
  const line = chpasswdLine(username, decodeBase64(args.str('password')));
  // An unknown user passes (unless the entry lists users): chpasswd then fails as with qemu-ga.
  checkUserAllowed('set-user-password', policy.users, username, (await lookupUser(username))?.uid, log);
  const crypted = args.bool('crypted');
  const end = await runProgram(policy.chpasswd, crypted ? ['-e'] : [], { stdin: line, argv0: 'chpasswd' });
  line.fill(0);
  if ('error' in end) {
    log.error(`guest-set-user-password: cannot run ${policy.chpasswd}: ${end.error.message}`);
    throw failed("cannot find 'passwd' program in PATH", QgaErrorCode.Unsupported);
  }
  if (end.signal) throw failed('child process has terminated abnormally');
  if (end.code !== 0) {
    log.warn(`guest-set-user-password: ${policy.chpasswd} for ${JSON.stringify(username)} exited with status ${end.code}${end.output ? `: ${end.output.trim()}` : ''}`);
    throw failed('child process has failed to set user password');
  }
  log.info(`guest-set-user-password: password of ${JSON.stringify(username)} set${crypted ? ' (crypted)' : ''}`);
}
