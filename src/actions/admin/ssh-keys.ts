import { spawn } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Args, jsonObject, type JsonObject, QgaError, QgaErrorCode } from '../../qga/index.js';
import { MAX_AUTHORIZED_KEYS_BYTES } from './authorized-keys-file.js';
import type { KeysAnswer, KeysFailure, KeysRequest } from './authorized-keys.js';
import { type PasswdEntry, strerror } from '../../platform/libc.js';
import type { Logger } from '../../log/logger.js';
import { readableByAll } from '../../platform/process/readable-by-all.js';
import { unrefChild } from './run-program.js';
import { checkUserAllowed, knownUser, lookupUser } from './user-account.js';
import type { UserRule } from './user-rule.js';

/** The most keys one request may carry. */
export const MAX_KEYS = 1024;
/** The longest key accepted, in bytes (a 16384-bit RSA key is about 2.8 KB, certificates more). */
export const MAX_KEY_BYTES = 16 * 1024;
/**
 * The most keys get lists: a 4 MiB file of the shortest real keys (ssh-ed25519, some 80 bytes a
 * line) holds about 52,000. A file of more (a user's 4 MiB of one-letter lines) is refused as too
 * large: its two million keys took the root daemon +116 MiB to list.
 */
export const MAX_LISTED_KEYS = 65_536;
/** How long the child editing the file may take (a hung network home directory). */
const CHILD_TIMEOUT_MS = 15_000;
/**
 * How long the editor's output is still read once it ended (what it wrote last), or once it was
 * killed. The editor is the user's process: the user may take a copy of its output (pidfd_getfd(2))
 * and keep it open, which held the guest agent's requests for as long as they liked, and an editor
 * stuck in the kernel on the user's own mount may not end even by SIGKILL. The daemon waits for neither.
 */
const OUTPUT_GRACE_MS = 1000;
/** The longest first line of the editor's answer: a failure's step, code and path (PATH_MAX, every byte escaped). */
const MAX_ANSWER_HEAD = 32 * 1024;
/**
 * The largest answer read from the editor: its first line, then the keys of the biggest file, each
 * byte that is not UTF-8 read as U+FFFD (three bytes).
 */
const MAX_ANSWER = MAX_ANSWER_HEAD + 3 * MAX_AUTHORIZED_KEYS_BYTES;
const CHILD = fileURLToPath(new URL('./authorized-keys-child.js', import.meta.url));

const failed = (desc: string, code = QgaErrorCode.CommandFailed): QgaError => new QgaError(code, desc);

/**
 * qemu-ga's check of each key (not a comment, no newline), in order, within our bounds; a NUL is
 * refused too (qemu-ga would write it as C0 80). An empty key is accepted: it makes an empty line.
 */
export function checkKeys(keys: readonly string[]): void {
  if (keys.length > MAX_KEYS) throw failed(`too many keys: at most ${MAX_KEYS} in one request`, QgaErrorCode.InvalidParameterValue);
  for (const key of keys) {
    if (key.startsWith('#') || key.includes('\n') || key.includes('\0') || Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw failed(`invalid OpenSSH public key: '${key}'`, QgaErrorCode.InvalidParameterValue);
    }
  }
}

/** qemu-ga's (GLib's) words for a step that failed. */
export function failureText(f: KeysFailure): string {
  const text = strerror(os.constants.errno[f.code as keyof typeof os.constants.errno] ?? os.constants.errno.EIO);
  const file = join(dirname(f.path), 'authorized_keys');
  switch (f.step) {
    case 'open':
      return `failed to read '${f.path}': Failed to open file “${f.path}”: ${text}`;
    case 'read':
      return `failed to read '${f.path}': Failed to read from file “${f.path}”: ${text}`;
    case 'mkdir':
      return `failed to create directory '${f.path}': ${text}`;
    case 'create':
      return `failed to write to '${file}': Failed to create file “${f.path}”: ${text}`;
    case 'write':
      return `failed to write to '${file}': Failed to write file “${f.path}”: ${text}`;
    case 'rename':
      return `failed to write to '${f.path}': ${text}`;
  }
}

/**
 * Runs the edit in a child process with the user's uid and gid (no supplementary groups) before it
 * reads the request, so the file system checks the user's rights: a link the user planted leads
 * nowhere the user could not write (or read) already.
 */
function asUser(user: PasswdEntry, request: KeysRequest): Promise<KeysAnswer> {
  return new Promise((resolve, reject) => {
    const self = process.getuid?.();
    if (self !== 0 && self !== user.uid) {
      reject(failed(`cannot act as user '${user.name}': the agent does not run as root`));
      return;
    }
    // Where every user can read the editor's code (the package), the editor is started as the
    // user (libuv drops the ids between fork and exec). Elsewhere (a clone only root can read) it
    // loads its code as the agent's user and drops to the user itself, which Node allows only
    // where libuv does not use io_uring (its CVE-2024-22017 guard refuses setuid on Debian 13).
    const direct = self === 0 && readableByAll(CHILD);
    const child = spawn(process.execPath, ['--max-old-space-size=64', CHILD, String(user.uid), String(user.gid)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: '/',
      env: {},
      ...(direct ? { uid: user.uid, gid: user.gid } : {}),
    });
    const out: Buffer[] = [];
    let size = 0;
    let errors = '';
    let ended: Ended | undefined;
    let grace: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      // The user may hold copies of these: the daemon keeps nothing of the editor.
      child.stdout.destroy();
      child.stderr.destroy();
      const answer = answerFrom(user.uid, ended, size > MAX_ANSWER ? undefined : Buffer.concat(out), errors);
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    /** Reads on for OUTPUT_GRACE_MS at most, then answers from what came. */
    const windDown = (): void => {
      clearTimeout(grace);
      grace = setTimeout(finish, OUTPUT_GRACE_MS);
      // Like runProgram's programs: a daemon told to stop does not wait for the editor.
      grace.unref();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      windDown();
    }, CHILD_TIMEOUT_MS);
    timer.unref();
    unrefChild(child);
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(request));
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_ANSWER) child.kill('SIGKILL');
      else out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (errors.length < 4096) errors += d.toString();
    });
    child.once('error', (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      reject(new Error(`cannot start the authorized_keys editor as uid ${user.uid}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      ended = { code, signal };
      clearTimeout(timer);
      windDown();
    });
    child.once('close', finish);
  });
}

/** How the editor process ended. */
interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The editor's answer from its output (undefined: more than MAX_ANSWER), or why there is none: it
 * did not end (stuck in the kernel even after SIGKILL), failed, or wrote no answer.
 */
function answerFrom(uid: number, ended: Ended | undefined, output: Buffer | undefined, errors: string): KeysAnswer | Error {
  const editor = `the authorized_keys editor for uid ${uid}`;
  if (!ended) return new Error(`${editor} did not end within ${CHILD_TIMEOUT_MS / 1000} s, nor after SIGKILL; let go`);
  if (ended.code !== 0 || !output) return new Error(`${editor} ended with ${ended.signal ?? `status ${ended.code}`}: ${errors.trim()}`);
  const end = output.subarray(0, MAX_ANSWER_HEAD).indexOf(0x0a);
  if (end < 0) return new Error(`${editor} answered no first line`);
  let head: unknown;
  try {
    head = JSON.parse(output.toString('utf8', 0, end));
  } catch (err) {
    return new Error(`${editor} answered no JSON: ${(err as Error).message}`);
  }
  // Only the first line is JSON (see answerText): the user may write into the editor's output
  // too, and 24 MiB of `[{},{},…` around its answer, valid JSON of eight million objects, took the
  // root daemon +800 MiB to parse.
  const answer = answerOf(head, () => output.toString('utf8', end + 1));
  return answer ?? new Error(`${editor} answered JSON that is no answer`);
}

const STEPS: ReadonlySet<string> = new Set<KeysFailure['step']>(['open', 'read', 'mkdir', 'create', 'write', 'rename']);

/** The child's answer, when its first line has its shape (the child runs as the user, who can tamper with it); `keys` reads what follows. */
function answerOf(value: unknown, keys: () => string): KeysAnswer | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { ok, failure } = value as Record<string, unknown>;
  if (ok === true) return { ok, keys: keys() };
  if (ok !== false || typeof failure !== 'object' || failure === null) return undefined;
  const { step, path, code } = failure as Record<string, unknown>;
  if (typeof step !== 'string' || !STEPS.has(step) || typeof path !== 'string' || typeof code !== 'string') return undefined;
  return { ok, failure: { step: step as KeysFailure['step'], path, code } };
}

/** The keys the child listed, counted before they are split: past MAX_LISTED_KEYS, the file is too large. */
function splitListed(joined: string, path: string): string[] {
  if (joined === '') return [];
  let count = 1;
  for (let at = joined.indexOf('\n'); at >= 0; at = joined.indexOf('\n', at + 1)) {
    if (++count > MAX_LISTED_KEYS) throw failed(failureText({ step: 'read', path, code: 'EFBIG' }));
  }
  return joined.split('\n');
}

/** Runs the request for the user; a failed step is qemu-ga's error. */
async function edit(user: PasswdEntry, request: KeysRequest): Promise<string> {
  const answer = await asUser(user, request);
  if (!answer.ok) throw failed(failureText(answer.failure));
  return answer.keys;
}

/** The guest-ssh-* commands, on `~user/.ssh/authorized_keys`. */
export class SshKeyCommands {
  constructor(
    private readonly users: () => UserRule,
    private readonly log: Logger,
  ) {}

  /** guest-ssh-get-authorized-keys: `{"keys": [...]}` (read-only: any user, read with that user's rights). */
  async get(args: Args): Promise<JsonObject> {
    const user = await knownUser(args.str('username'));
    const keys = await edit(user, { op: 'get', home: user.dir, keys: [], reset: false });
    return jsonObject({ keys: splitListed(keys, join(user.dir, '.ssh', 'authorized_keys')) });
  }

  /** guest-ssh-add-authorized-keys: adds the keys not yet there (all of them, replacing the file's, with `reset`). */
  async add(args: Args): Promise<JsonObject> {
    const user = await this.allowedUser(args);
    const keys = args.optStrList('keys') ?? [];
    const reset = args.optBool('reset') ?? false;
    await edit(user, { op: 'add', home: user.dir, keys, reset });
    this.log.info(`guest-ssh-add-authorized-keys: ${keys.length} key(s) for ${JSON.stringify(user.name)}${reset ? ', replacing the others' : ''}`);
    return new Map();
  }

  /** guest-ssh-remove-authorized-keys: removes the lines equal to one of the keys; a missing file is no error. */
  async remove(args: Args): Promise<JsonObject> {
    const user = await this.allowedUser(args);
    const keys = args.optStrList('keys') ?? [];
    await edit(user, { op: 'remove', home: user.dir, keys, reset: false });
    this.log.info(`guest-ssh-remove-authorized-keys: ${keys.length} key(s) for ${JSON.stringify(user.name)}`);
    return new Map();
  }

  /** The keys are checked first, then the entry's users, then the account database (qemu-ga's order around ours). */
  private async allowedUser(args: Args): Promise<PasswdEntry> {
    checkKeys(args.optStrList('keys') ?? []);
    const name = args.str('username');
    // One lookup: NSS may ask a server (LDAP, SSSD) each time.
    const looked = lookupUser(name);
    checkUserAllowed('ssh-keys', this.users(), name, (await looked)?.uid, this.log);
    return knownUser(name, looked);
  }
}
