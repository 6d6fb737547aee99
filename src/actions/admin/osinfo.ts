import { readFileSync } from 'node:fs';
import os from 'node:os';
import { jsonObject, type JsonObject } from '../../qga/index.js';

/** os-release keys qemu-ga reports, with their member names. */
const KEYS: readonly [string, string][] = [
  ['ID', 'id'],
  ['NAME', 'name'],
  ['PRETTY_NAME', 'pretty-name'],
  ['VERSION', 'version'],
  ['VERSION_ID', 'version-id'],
  ['VARIANT', 'variant'],
  ['VARIANT_ID', 'variant-id'],
];

/**
 * One os-release value as qemu-ga reads it: a double-quoted value up to its closing quote, with
 * `\$ \' \" \\ \`` unescaped; anything else (a single-quoted one too) up to the first space or `;`.
 * An unterminated quote keeps the raw value's tail after the unescaped text (qemu-ga unescapes in
 * place and only ends the string at a closing quote).
 */
export function osReleaseValue(raw: string): string {
  if (!raw.startsWith('"')) return raw.split(/[ ;]/, 1)[0] ?? '';
  let out = '';
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '"') return out;
    if (c === '\\' && i + 1 < raw.length && '$\'"\\`'.includes(raw[i + 1] as string)) out += raw[++i];
    else out += c;
  }
  return out + raw.slice(out.length);
}

/** `KEY=value` lines of an os-release file (comments and blank lines skipped). */
export function parseOsRelease(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    values.set(trimmed.slice(0, eq).trim(), osReleaseValue(trimmed.slice(eq + 1).trim()));
  }
  return values;
}

/** guest-get-osinfo: uname and os-release (path from QGA_OS_RELEASE, /etc/os-release or /usr/lib/os-release). */
export function osInfo(env: NodeJS.ProcessEnv = process.env): JsonObject {
  const paths = env.QGA_OS_RELEASE ? [env.QGA_OS_RELEASE] : ['/etc/os-release', '/usr/lib/os-release'];
  let release = new Map<string, string>();
  for (const path of paths) {
    try {
      release = parseOsRelease(readFileSync(path, 'utf8'));
      break;
    } catch {
      // try the next one; without any, only uname is reported
    }
  }
  const info = jsonObject({ 'kernel-release': os.release(), 'kernel-version': os.version(), machine: os.machine() });
  for (const [key, member] of KEYS) {
    const v = release.get(key);
    if (v !== undefined) info.set(member, v);
  }
  return info;
}
