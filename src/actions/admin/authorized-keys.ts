// Kept free of imports: the child that edits a user's authorized_keys (authorized-keys-child.ts) loads it.

/** The whitespace GLib's g_strstrip removes (C isspace). */
const C_SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;

/** What the daemon asks the child running as the user to do with `~/.ssh/authorized_keys`. */
export interface KeysRequest {
  op: 'get' | 'add' | 'remove';
  /** The user's home directory, from the account database. */
  home: string;
  keys: string[];
  /** For add: replace the file's keys instead of adding to them. */
  reset: boolean;
}

/** A step of the edit that failed, with the path and the errno code (ENOENT, …). */
export interface KeysFailure {
  step: 'open' | 'read' | 'mkdir' | 'create' | 'write' | 'rename';
  path: string;
  code: string;
}

/**
 * The child's answer: the keys (for get) joined by newlines, which no line holds (one string,
 * however many keys: the daemon counts them before it makes one string of each), or the failed step.
 */
export type KeysAnswer = { ok: true; keys: string } | { ok: false; failure: KeysFailure };

/**
 * The answer as the child writes it: one line of JSON, then, for keys, the keys as they are. JSON
 * would write a control character in six bytes: a user's 4 MiB file of them made 24 MiB of
 * answer, held three times over by the daemon.
 */
export function answerText(answer: KeysAnswer): string {
  return answer.ok ? `{"ok":true}\n${answer.keys}` : `${JSON.stringify(answer)}\n`;
}

/**
 * The lines of an authorized_keys file as qemu-ga splits them (g_strsplit): on every newline, so a
 * final newline leaves an empty last line, but an empty file has no line at all.
 */
export function fileLines(content: string): string[] {
  return content === '' ? [] : content.split('\n');
}

/** The file's content for its lines, joined by newlines (an empty last line makes the final newline). */
export function fileContent(lines: readonly string[]): string {
  return lines.join('\n');
}

/**
 * guest-ssh-get-authorized-keys' list: each line stripped of surrounding whitespace, blank lines
 * and comments skipped, last line first (qemu-ga's order).
 */
export function listedKeys(lines: readonly string[]): string[] {
  return lines
    .map((l) => l.replace(C_SPACE, ''))
    .filter((l) => l !== '' && !l.startsWith('#'))
    .reverse();
}

/**
 * The lines after adding keys: each key not yet present as a whole line (or earlier in `keys`) is
 * appended, as qemu-ga does. An empty key adds an empty line, which makes the final newline
 * (libvirt's set-user-sshkeys --file sends one last).
 */
export function addedLines(lines: readonly string[], keys: readonly string[]): string[] {
  const out = [...lines];
  const present = new Set(out);
  for (const key of keys) {
    if (present.has(key)) continue;
    present.add(key);
    out.push(key);
  }
  return out;
}

/** The lines after removing every line equal to one of the keys. */
export function removedLines(lines: readonly string[], keys: readonly string[]): string[] {
  const gone = new Set(keys);
  return lines.filter((l) => !gone.has(l));
}
