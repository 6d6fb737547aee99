// The child process that edits one user's authorized_keys with that user's uid and gid: started
// as root with its code already loaded (the agent may be installed where only root can read),
// it drops to the uid and gid given as its two arguments, with no supplementary groups, before
// it reads anything; then it reads one JSON request on standard input and writes its answer (one
// line of JSON, then the keys as they are: answerText) on standard output.
import { editAuthorizedKeys } from './authorized-keys-file.js';
import { answerText, type KeysRequest } from './authorized-keys.js';

const [uid, gid] = process.argv.slice(2).map(Number);
if (uid === undefined || gid === undefined || !Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('usage: authorized-keys-child UID GID');
if (process.getuid?.() !== uid) {
  process.setgroups?.([]);
  process.setgid?.(gid);
  process.setuid?.(uid);
}
if (process.getuid?.() !== uid || process.geteuid?.() !== uid || process.getgid?.() !== gid || process.getegid?.() !== gid) {
  throw new Error(`could not become uid ${uid} gid ${gid}`);
}

/** Reads the one request to its end and writes the answer. */
function answerRequest(): void {
  const chunks: Buffer[] = [];
  process.stdin.on('data', (d: Buffer) => chunks.push(d));
  process.stdin.on('end', () => {
    const request = JSON.parse(Buffer.concat(chunks).toString()) as KeysRequest;
    process.stdout.write(answerText(editAuthorizedKeys(request)));
  });
}

answerRequest();
