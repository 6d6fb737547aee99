// The child process that edits one user's authorized_keys with that user's uid and gid: it reads
// one JSON request on standard input and writes one JSON answer on standard output.
import { editAuthorizedKeys } from './authorized-keys-file.js';
import type { KeysRequest } from './authorized-keys.js';

const chunks: Buffer[] = [];
process.stdin.on('data', (d: Buffer) => chunks.push(d));
process.stdin.on('end', () => {
  const request = JSON.parse(Buffer.concat(chunks).toString()) as KeysRequest;
  process.stdout.write(JSON.stringify(editAuthorizedKeys(request)));
});
