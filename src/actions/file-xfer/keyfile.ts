/** The key-file group spice-gtk writes into FILE_XFER_START (spec §10.1). */
const XFER_GROUP = 'vdagent-file-xfer';

/** What a FILE_XFER_START asks for. */
export interface TransferRequest {
  /** The file's base name as the client sent it (untrusted). */
  name: string;
  /** The announced size in bytes. */
  size: number;
}

/** Key-file value escapes (`\s`, `\n`, `\t`, `\r`, `\\`). */
const ESCAPES: Record<string, string> = { s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' };

/** Undoes key-file escaping; undefined for an unknown escape or a trailing backslash. */
function unescape(raw: string): string | undefined {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = ESCAPES[raw[++i] ?? ''];
    if (e === undefined) return undefined;
    out += e;
  }
  return out;
}

/**
 * Parses GLib key-file text into groups of keys: `[group]` headers, `key=value` lines (spaces
 * around `=` ignored), `#` comment lines and blank lines. Localised keys (`name[de]`) are skipped;
 * a later key replaces an earlier one. Undefined when the text is not a key file.
 */
export function parseKeyFile(text: string): Map<string, Map<string, string>> | undefined {
  const groups = new Map<string, Map<string, string>>();
  let group: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[([^\][]+)\][ \t]*$/.exec(line);
    if (header) {
      const name = header[1] as string;
      group = groups.get(name) ?? new Map<string, string>();
      groups.set(name, group);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !group) return undefined;
    const key = line.slice(0, eq).trimEnd();
    const value = unescape(line.slice(eq + 1).replace(/^[ \t]+/, ''));
    if (key === '' || value === undefined) return undefined;
    if (!key.includes('[')) group.set(key, value);
  }
  return groups;
}

/**
 * Reads a FILE_XFER_START key file: group `vdagent-file-xfer` with `name` and a decimal `size`
 * (other keys ignored). Undefined when either is missing or invalid.
 */
export function readTransferRequest(text: string): TransferRequest | undefined {
  const group = parseKeyFile(text)?.get(XFER_GROUP);
  const name = group?.get('name');
  const size = group?.get('size')?.trim();
  if (name === undefined || size === undefined || !/^\d{1,16}$/.test(size)) return undefined;
  const n = Number(size);
  return Number.isSafeInteger(n) ? { name, size: n } : undefined;
}
