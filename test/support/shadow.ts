import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The password field of a user's /etc/shadow line (undefined when the user has none). */
export function shadowHash(user: string): string | undefined {
  const line = readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  return line?.split(':')[1];
}

/** Whether `password` matches a crypt(3) hash (libxcrypt through perl: yescrypt, SHA-512, …). */
export function passwordMatches(password: string, hash: string): boolean {
  return execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, hash], { encoding: 'utf8' }) === hash;
}
