import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { ActionSet } from '../actions-d.js';
import { parseSettings } from '../actions-d.js';
import type { QgaAction } from '../../qga/index.js';
import { unacceptableName } from './exec-env.js';
import { type UserRule, userRule } from './user-rule.js';
import { SUSPEND_MODES, type SuspendMode } from './suspend.js';

/** Where fsfreeze hook programs live unless the fsfreeze entry says `hook-dir = DIR`. */
export const DEFAULT_HOOK_DIR = '/etc/vdagent/fsfreeze-hook.d';
/** The hwclock program unless the set-time entry says `hwclock = PATH` (qemu-ga's path). */
export const DEFAULT_HWCLOCK = '/sbin/hwclock';
/** The chpasswd program unless the set-user-password entry says `chpasswd = PATH`. */
export const DEFAULT_CHPASSWD = '/usr/sbin/chpasswd';

/** Something to tell the administrator about an entry. */
export interface PolicyNote {
  level: 'warn' | 'error';
  text: string;
}

/** What the exec entry allows. */
export interface ExecPolicy {
  /** The entry's file, for log lines (undefined when exec is off). */
  readonly entry: string | undefined;
  /**
   * The listed path an absolute program path stands for (run under that name, as argv[0]), or
   * undefined when it is not allowed. Only directories' links are followed: a link with another
   * name (a busybox applet) is another program.
   */
  program(path: string): string | undefined;
  /** Variable names the host's environment may set (`env = NAME NAME…`). */
  readonly env: ReadonlySet<string>;
}

/** What the administrator allowed, read from actions.d. */
export interface AdminPolicy {
  /** Whether an action's entry is present and not masked. */
  enabled(action: QgaAction): boolean;
  /** The exec entry's programs and environment names. */
  readonly exec: ExecPolicy;
  /** The shutdown entry's file, run with the mode as its one argument. */
  readonly shutdownProgram: string | undefined;
  /** The fsfreeze hook directory. */
  readonly hookDir: string;
  /** The hwclock program for guest-set-time. */
  readonly hwclock: string;
  /** Problems found in the entries. */
  readonly notes: readonly PolicyNote[];
  /** The users whose password guest-set-user-password may set (set-user-password entry). */
  readonly passwordUsers: UserRule;
  /** The chpasswd program for guest-set-user-password. */
  readonly chpasswd: string;
  /** The users whose authorized_keys guest-ssh-add/remove-authorized-keys may change (ssh-keys entry). */
  readonly sshKeyUsers: UserRule;
  /** The sleep states the suspend entry allows (`modes = ram disk hybrid`, all by default). */
  readonly suspendModes: ReadonlySet<SuspendMode>;
}

/** A path with its directory's symbolic links resolved (the name itself is kept), as listed when that fails. */
function programKey(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
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
  const programs = new Map<string, string>();
  const env = new Set<string>();
  const exec = entry('exec');
  exec?.content.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    const where = `actions.d: ${exec.path}:${i + 1}`;
    const eq = line.indexOf('=');
    if (line === '') return;
    if (line === '*') anyProgram = true;
    else if (isAbsolute(line)) programs.set(programKey(line), line);
    else if (eq > 0 && line.slice(0, eq).trim() === 'env') {
      for (const name of line.slice(eq + 1).trim().split(/\s+/).filter(Boolean)) {
        const why = unacceptableName(name);
        if (why) notes.push({ level: 'error', text: `${where}: env ${JSON.stringify(name)} ${why}; ignored` });
        else env.add(name);
      }
    } else if (eq > 0) notes.push({ level: 'warn', text: `${where}: unknown setting ${line.slice(0, eq).trim()}; ignored` });
    else notes.push({ level: 'warn', text: `${where}: ${JSON.stringify(line)} is not an absolute path; ignored` });
  });

  const password = settings('set-user-password', ['users', 'chpasswd']);
  const sshKeys = settings('ssh-keys', ['users']);
  const suspendModes = new Set<SuspendMode>();
  const modes = settings('suspend', ['modes']).get('modes');
  for (const word of modes?.split(/\s+/).filter(Boolean) ?? SUSPEND_MODES) {
    const mode = SUSPEND_MODES.find((m) => m === word);
    if (mode) suspendModes.add(mode);
    else notes.push({ level: 'warn', text: `actions.d: ${entry('suspend')?.path ?? 'suspend'}: unknown suspend mode ${JSON.stringify(word)}; ignored` });
  }

  return {
    enabled: (action) => entry(action) !== undefined,
    exec: {
      entry: exec?.path,
      program: (path) => (anyProgram ? path : programs.get(programKey(path))),
      env,
    },
    shutdownProgram: entry('shutdown')?.path,
    hookDir: settings('fsfreeze', ['hook-dir']).get('hook-dir') ?? DEFAULT_HOOK_DIR,
    hwclock: settings('set-time', ['hwclock']).get('hwclock') ?? DEFAULT_HWCLOCK,
    notes,
    passwordUsers: userRule(entry('set-user-password')?.path, password.get('users')),
    chpasswd: password.get('chpasswd') ?? DEFAULT_CHPASSWD,
    sshKeyUsers: userRule(entry('ssh-keys')?.path, sshKeys.get('users')),
    suspendModes,
  };
}
