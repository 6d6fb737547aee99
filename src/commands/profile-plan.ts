import { type Stats, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/** Where profiles come from and where applying one writes. */
export interface ProfileDirs {
  /** The shipped profiles, one directory each. */
  readonly profiles: string;
  /** The shipped admin-action entries the links point to. */
  readonly available: string;
  /** The administrator's actions.d, where the links go. */
  readonly actions: string;
  /** vdagent.service's drop-in directory, where the profile's drop-in goes. */
  readonly dropIns: string;
}

/** The packaged locations. */
export const DEFAULT_PROFILE_DIRS: ProfileDirs = {
  profiles: '/usr/share/vdagent/profiles',
  available: '/usr/share/vdagent/actions.available',
  actions: '/etc/vdagent/actions.d',
  dropIns: '/etc/systemd/system/vdagent.service.d',
};

/** A shipped profile: the admin actions a host tool uses and the drop-in giving them their rights. */
export interface Profile {
  readonly name: string;
  /** Its one-line summary (the first comment line of its actions file). */
  readonly summary: string;
  /** The actions.available entries to link, in the file's order. */
  readonly actions: readonly string[];
  /** The drop-in shipped with it, if any. */
  readonly dropIn?: { readonly path: string; readonly text: string };
}

/** A profile or action name: lower-case words joined by hyphens, never a path. */
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** A profile that cannot be used as shipped (unknown name, malformed file). */
export class ProfileError extends Error {}

/** The entry names of an actions file: one a line, `#` starts a comment, blank lines skipped. */
export function parseActionList(text: string, file: string): string[] {
  const names: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const name = raw.replace(/#.*/, '').trim();
    if (name === '') return;
    if (!NAME.test(name)) throw new ProfileError(`${file}:${i + 1}: not an action name: ${JSON.stringify(name)}`);
    if (!names.includes(name)) names.push(name);
  });
  return names;
}

/** The names of the shipped profiles, sorted (none when the directory is missing). */
export function listProfiles(dirs: ProfileDirs): string[] {
  try {
    return readdirSync(dirs.profiles, { withFileTypes: true })
      .filter((d) => d.isDirectory() && NAME.test(d.name) && existsSync(join(dirs.profiles, d.name, 'actions')))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Reads the shipped profile `name`: `<profiles>/<name>/actions` and `vdagent.service.d/<name>.conf`. */
export function readProfile(dirs: ProfileDirs, name: string): Profile {
  if (!NAME.test(name) || !listProfiles(dirs).includes(name)) throw new ProfileError(`no profile ${JSON.stringify(name)} in ${dirs.profiles}`);
  const file = join(dirs.profiles, name, 'actions');
  const text = readFileSync(file, 'utf8');
  const summary = /^#\s*(.*)$/m.exec(text)?.[1] ?? '';
  const dropInPath = join(dirs.profiles, name, 'vdagent.service.d', `${name}.conf`);
  const dropIn = existsSync(dropInPath) ? { path: dropInPath, text: readFileSync(dropInPath, 'utf8') } : undefined;
  return { name, summary, actions: parseActionList(text, file), dropIn };
}

/**
 * What an actions.d entry of the profile is now: missing (to link), linked (already the link),
 * own (the administrator's own file or link, kept), masked (a link to /dev/null, kept: the action
 * stays off), unavailable (this version ships no such entry).
 */
export type EntryState = 'missing' | 'linked' | 'own' | 'masked' | 'unavailable';

/** One entry the profile wants in actions.d. */
export interface EntryStep {
  readonly name: string;
  /** The entry in actions.d. */
  readonly path: string;
  /** The shipped entry it links to. */
  readonly target: string;
  readonly state: EntryState;
}

/** What the installed drop-in is now: missing (to install), same, or differs (kept). */
export type DropInState = 'missing' | 'same' | 'differs';

/** The profile's drop-in and where it goes. */
export interface DropInStep {
  readonly path: string;
  readonly source: string;
  readonly text: string;
  readonly state: DropInState;
}

/** Applying a profile: each entry and the drop-in, with their present states. */
export interface ProfilePlan {
  readonly profile: Profile;
  readonly entries: readonly EntryStep[];
  readonly dropIn?: DropInStep;
}

/** The lstat of a path, or undefined when nothing is there. */
function lstatOrNone(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The state of one entry in actions.d against the shipped entry it should link to. */
function entryState(path: string, target: string): EntryState {
  if (!existsSync(target)) return 'unavailable';
  const stats = lstatOrNone(path);
  if (stats === undefined) return 'missing';
  if (!stats.isSymbolicLink()) return 'own';
  if (readlinkSync(path) === target) return 'linked';
  let real: string | undefined;
  try {
    real = realpathSync(path);
  } catch {
    real = undefined;
  }
  return real === '/dev/null' ? 'masked' : 'own';
}

/** Compares the profile with what actions.d and the drop-in directory hold now; changes nothing. */
export function planProfile(profile: Profile, dirs: ProfileDirs): ProfilePlan {
  const entries = profile.actions.map((name) => {
    const path = join(dirs.actions, name);
    const target = join(dirs.available, name);
    return { name, path, target, state: entryState(path, target) };
  });
  if (profile.dropIn === undefined) return { profile, entries };
  const path = join(dirs.dropIns, `${profile.name}.conf`);
  const installed = lstatOrNone(path) === undefined ? undefined : readFileSync(path, 'utf8');
  const state: DropInState = installed === undefined ? 'missing' : installed === profile.dropIn.text ? 'same' : 'differs';
  return { profile, entries, dropIn: { path, source: profile.dropIn.path, text: profile.dropIn.text, state } };
}
