import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';

/** Vendor defaults, then the administrator's overrides (later wins). */
export const DEFAULT_ACTIONS_DIRS = ['/usr/lib/vdagent/actions.d', '/etc/vdagent/actions.d'];

/** Backup and package-manager leftovers that never count as entries. */
const LEFTOVER = /(~|\.bak|\.orig|\.dpkg-[a-z]+|\.rpmnew|\.rpmsave|\.sample)$/;
/** Largest entry content read (entries are short settings or program lists). */
const MAX_CONTENT = 64 * 1024;

/** One effective actions.d entry. */
export interface ActionEntry {
  /** The entry name: a built-in module or an admin action. */
  name: string;
  /** The file that decided it. */
  path: string;
  /** False when masked by a link to /dev/null. */
  enabled: boolean;
  /** The entry's text ('' when empty or masked). */
  content: string;
  /** The earlier entry of the same name it replaces, if any. */
  overrides?: string;
}

/** The effective entries by name. */
export type ActionSet = ReadonlyMap<string, ActionEntry>;

/** How entries are read. */
export interface LoadOptions {
  /** Where refusals are logged. */
  log?: Logger;
  /** Refuse entries and directories writable by group/others or owned by another user (default: when root). */
  checkOwners?: boolean;
}

/** Why a file or directory may not be trusted, or undefined when it may. */
function distrust(st: Stats, what: string): string | undefined {
  if (st.uid !== (process.getuid?.() ?? 0)) return `${what} is owned by uid ${st.uid}, not by the daemon's user`;
  if ((st.mode & 0o022) !== 0) return `${what} is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Merges actions.d directories: a later directory's entry replaces an earlier one of the same
 * name; a link to /dev/null masks it; leftovers and dot-files are ignored; missing directories are
 * empty. As root, entries and directories that others could have written are refused.
 */
export function loadActions(dirs: readonly string[], options: LoadOptions = {}): ActionSet {
  const check = options.checkOwners ?? process.getuid?.() === 0;
  const entries = new Map<string, ActionEntry>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
      const bad = check ? distrust(statSync(dir), `directory ${dir}`) : undefined;
      if (bad) {
        options.log?.warn(`actions.d: ${bad}; its entries are refused`);
        continue;
      }
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || LEFTOVER.test(name)) continue;
      const path = join(dir, name);
      try {
        const link = lstatSync(path);
        const overrides = entries.get(name)?.path;
        if (link.isSymbolicLink() && readlinkSync(path) === '/dev/null') {
          entries.set(name, { name, path, enabled: false, content: '', overrides });
          continue;
        }
        const st = statSync(path);
        if (!st.isFile()) {
          options.log?.warn(`actions.d: ${path} is not a regular file; ignored`);
          continue;
        }
        // A link's own mode means nothing; its owner and the file behind it count.
        const linkBad = link.isSymbolicLink() && link.uid !== (process.getuid?.() ?? 0) ? `link ${path} is owned by uid ${link.uid}` : undefined;
        const bad = check ? (linkBad ?? distrust(st, link.isSymbolicLink() ? `the file behind ${path}` : `entry ${path}`)) : undefined;
        if (bad) {
          options.log?.warn(`actions.d: ${bad}; refused`);
          continue;
        }
        const content = st.size > MAX_CONTENT ? '' : readFileSync(path, 'utf8');
        if (st.size > MAX_CONTENT) options.log?.warn(`actions.d: ${path} is larger than ${MAX_CONTENT} bytes; its content is ignored`);
        entries.set(name, { name, path, enabled: true, content, overrides });
      } catch (err) {
        options.log?.warn(`actions.d: ${path}: ${err instanceof Error ? err.message : String(err)}; ignored`);
      }
    }
  }
  return entries;
}

/** One problem in an entry's settings, with its line number. */
export interface SettingProblem {
  line: number;
  text: string;
}

/** Parses `key = value` lines; `#` starts a comment; blank lines are skipped. */
export function parseSettings(content: string): { settings: Map<string, string>; problems: SettingProblem[] } {
  const settings = new Map<string, string>();
  const problems: SettingProblem[] = [];
  content.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      problems.push({ line: i + 1, text: `expected "key = value", got ${JSON.stringify(raw.trim())}` });
      return;
    }
    settings.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  });
  return { settings, problems };
}
