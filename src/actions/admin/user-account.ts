import { QgaError, QgaErrorCode } from '../../qga/index.js';
import { type PasswdEntry, passwdEntry } from '../../platform/libc.js';
import type { Logger } from '../../log/logger.js';
import type { UserRule } from './user-rule.js';

/** The account of a user name from the host; undefined when there is none (a NUL never names one). Off the event loop: NSS may wait for a server. */
export async function lookupUser(name: string): Promise<PasswdEntry | undefined> {
  return name.includes('\0') ? undefined : passwdEntry(name);
}

/** The account, or qemu-ga's error for a name the account database does not know; `looked` is its lookup when one was already made. */
export async function knownUser(name: string, looked: Promise<PasswdEntry | undefined> = lookupUser(name)): Promise<PasswdEntry> {
  const entry = await looked;
  // GLib 2.74's wording (qemu-ga 7.2 on Debian 12): getpwnam_r finds nothing without an errno.
  if (!entry) throw new QgaError(QgaErrorCode.CommandFailed, `failed to lookup user '${name}': Success`);
  return entry;
}

/**
 * Refuses a user the entry's `users` setting does not name (root only when named): logged naming
 * the entry, answered as a GenericError.
 */
export function checkUserAllowed(action: string, rule: UserRule, name: string, uid: number | undefined, log: Logger): void {
  if (rule.allows(name, uid)) return;
  log.warn(`${action} refused by ${rule.entry ?? 'actions.d'}: user ${JSON.stringify(name)} is not in its users setting`);
  throw new QgaError(QgaErrorCode.NotAllowed, `user '${name}' may not be changed by the host (actions.d ${action} setting 'users')`);
}
