import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readUserDirs, userDir, type UserDirName } from './user-dirs.js';

/** The file-xfer entry's `dir =`: a folder of user-dirs.dirs, or one absolute path for every user. */
export type SaveDirSetting = { kind: 'xdg'; name: UserDirName } | { kind: 'path'; path: string };

/** The setting's words for the XDG folders. */
const XDG_WORDS: Record<string, UserDirName> = { 'xdg-download': 'DOWNLOAD', 'xdg-desktop': 'DESKTOP' };
/** The usual folder under home, used when user-dirs.dirs names none and it exists. */
const USUAL: Record<UserDirName, string> = { DOWNLOAD: 'Downloads', DESKTOP: 'Desktop' };
/** Longest absolute path accepted (PATH_MAX less the NUL). */
const MAX_PATH = 4095;

/**
 * Parses `dir`: `xdg-download` (also when absent), `xdg-desktop`, or an absolute path, taken as
 * written. Throws a RangeError on anything else (a relative path, `~`, a NUL, over 4095 bytes).
 */
export function parseSaveDirSetting(value: string | undefined): SaveDirSetting {
  const name = XDG_WORDS[value ?? 'xdg-download'];
  if (name) return { kind: 'xdg', name };
  const path = value as string;
  if (path.startsWith('/') && !path.includes('\0') && Buffer.byteLength(path) <= MAX_PATH) return { kind: 'path', path };
  throw new RangeError(`expected xdg-download, xdg-desktop or an absolute path, got ${JSON.stringify(path)}`);
}

/** The settings check for `dir`. */
export function checkSaveDirSetting(value: string): string | undefined {
  try {
    parseSaveDirSetting(value);
    return undefined;
  } catch (err) {
    return err instanceof RangeError ? err.message : String(err);
  }
}

/**
 * The folder received files go to, found anew for each transfer as the session's user. A path is
 * used as it is. An XDG folder is the one user-dirs.dirs names (as GLib's
 * g_get_user_special_dir reads it), else `~/Downloads` (`~/Desktop`) when that is a folder; the
 * download folder then falls back to the desktop folder user-dirs.dirs names (spec §10.2), and
 * both to the home folder.
 */
export async function saveDir(setting: SaveDirSetting, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (setting.kind === 'path') return setting.path;
  const home = env.HOME?.startsWith('/') ? env.HOME : '/';
  const text = await readUserDirs(env, home);
  const named = userDir(text, setting.name, home);
  if (named) return named;
  const usual = join(home, USUAL[setting.name]);
  if (await isFolder(usual)) return usual;
  return (setting.name === 'DOWNLOAD' ? userDir(text, 'DESKTOP', home) : undefined) ?? home;
}

/** Whether `path` is a folder (a link to one counts). */
function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
