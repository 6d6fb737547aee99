import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { ActionSet } from '../actions-d.js';
import { parseSettings } from '../actions-d.js';
import type { QgaAction } from '../../qga/index.js';

/** Where fsfreeze hook programs live unless the fsfreeze entry says `hook-dir = DIR`. */
export const DEFAULT_HOOK_DIR = '/etc/vdagent/fsfreeze-hook.d';
/** The hwclock program unless the set-time entry says `hwclock = PATH` (qemu-ga's path). */
export const DEFAULT_HWCLOCK = '/sbin/hwclock';

/** Something to tell the administrator about an entry. */
export interface PolicyNote {
  level: 'warn' | 'error';
  text: string;
}

/** What the administrator allowed, read from actions.d. */
export interface AdminPolicy {
  /** Whether an action's entry is present and not masked. */
  enabled(action: QgaAction): boolean;
  /** Whether the exec entry allows running this absolute program path. */
  execAllowed(program: string): boolean;
  /** The shutdown entry's file, run with the mode as its one argument. */
  readonly shutdownProgram: string | undefined;
  /** The fsfreeze hook directory. */
  readonly hookDir: string;
  /** The hwclock program for guest-set-time. */
  readonly hwclock: string;
  /** Problems found in the entries. */
  readonly notes: readonly PolicyNote[];
}

/** A path with its symbolic links resolved, or itself when it does not exist. */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Reads the admin actions from an action set (entries' content: exec list, settings). */
export function adminPolicy(actions: ActionSet): AdminPolicy {
  const notes: PolicyNote[] = [];
  const entry = (action: QgaAction) => {
    const e = actions.get(action);
    return e?.enabled ? e : undefined;
  };
  const settings = (action: QgaAction, known: readonly string[]): Map<string, string> => {
    const e = entry(action);
    if (!e) return new Map();
    const { settings: found, problems } = parseSettings(e.content);
    for (const p of problems) notes.push({ level: 'warn', text: `actions.d: ${e.path}:${p.line}: ${p.text}` });
    for (const key of found.keys()) {
      if (!known.includes(key)) notes.push({ level: 'warn', text: `actions.d: ${e.path}: unknown setting ${key}; ignored` });
    }
    return found;
  };

  let anyProgram = false;
  const programs = new Set<string>();
  const exec = entry('exec');
  exec?.content.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    if (line === '*') anyProgram = true;
    else if (isAbsolute(line)) programs.add(canonical(line));
    else notes.push({ level: 'warn', text: `actions.d: ${exec.path}:${i + 1}: ${JSON.stringify(line)} is not an absolute path; ignored` });
  });

  return {
    enabled: (action) => entry(action) !== undefined,
    execAllowed: (program) => anyProgram || programs.has(canonical(program)),
    shutdownProgram: entry('shutdown')?.path,
    hookDir: settings('fsfreeze', ['hook-dir']).get('hook-dir') ?? DEFAULT_HOOK_DIR,
    hwclock: settings('set-time', ['hwclock']).get('hwclock') ?? DEFAULT_HWCLOCK,
    notes,
  };
}
