import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { type Distrust, isDistrust, readWalked, walkPath } from '../platform/trusted-path.js';

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
  /** The directories holding the entry's links and its file: a change there can re-point it. */
  dirs: readonly string[];
}

/** The effective entries by name. */
export type ActionSet = ReadonlyMap<string, ActionEntry>;

/** How entries are read. */
export interface LoadOptions {
  /** Where refusals are logged. */
  log?: Logger;
  /**
   * Refuse entries reached through anything others could change: every component of the path,
   * each link's own location and every step of its target, must be owned by root and not
   * writable by group or others (default: when root).
   */
  checkOwners?: boolean;
  /** Told of each entry refused as untrusted (the log line is written too). */
  onRefused?: (name: string, path: string, why: Distrust) => void;
}

/**
 * Merges actions.d directories: a later directory's entry replaces an earlier one of the same
 * name; a link to /dev/null masks it; leftovers and dot-files are ignored; missing directories are
 * empty. As root, an entry or directory whose path others could change is refused, naming the
 * component at fault; an entry's text is read through the very file that was checked.
 */
export function loadActions(dirs: readonly string[], options: LoadOptions = {}): ActionSet {
  const walk = { check: options.checkOwners ?? process.getuid?.() === 0 };
  const entries = new Map<string, ActionEntry>();
  for (const dir of dirs) {
    let names: string[];
    try {
      const walked = walkPath(dir, walk);
      if (isDistrust(walked)) {
        options.log?.warn(`actions.d: directory ${dir}: ${walked.reason}; its entries are refused`);
        continue;
      }
      names = readdirSync(walked.real);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || LEFTOVER.test(name)) continue;
      const path = join(dir, name);
      try {
        const walked = walkPath(path, walk);
        if (isDistrust(walked)) {
          options.log?.warn(`actions.d: ${path}: ${walked.reason}; refused`);
          options.onRefused?.(name, path, walked);
          continue;
        }
        const overrides = entries.get(name)?.path;
        if (walked.real === '/dev/null' && walked.stats.isCharacterDevice()) {
          entries.set(name, { name, path, enabled: false, content: '', overrides, dirs: walked.dirs });
          continue;
        }
        if (!walked.stats.isFile()) {
          options.log?.warn(`actions.d: ${path} is not a regular file; ignored`);
          continue;
        }
        const large = walked.stats.size > MAX_CONTENT;
        if (large) options.log?.warn(`actions.d: ${path} is larger than ${MAX_CONTENT} bytes; its content is ignored`);
        const content = large ? '' : readWalked(walked, MAX_CONTENT);
        entries.set(name, { name, path, enabled: true, content, overrides, dirs: walked.dirs });
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
