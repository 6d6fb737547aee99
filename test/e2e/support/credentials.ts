import { generateKeyPairSync } from 'node:crypto';
import { run } from './exec.js';

/** A fresh ed25519 public key in OpenSSH's authorized_keys form. */
export function sshKey(comment: string): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} ${comment}`;
}

/** crypt(3) on the host: the hash of `password` with the method and salt of `setting`. */
export function crypt(password: string, setting: string): Promise<string> {
  return run('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, setting]);
}
