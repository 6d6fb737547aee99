import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/** The user-dirs.dirs folders file transfer can use. */
export type UserDirName = 'DOWNLOAD' | 'DESKTOP';

/** Most of user-dirs.dirs read (xdg-user-dirs writes well under 1 KiB). */
const MAX_USER_DIRS_BYTES = 64 * 1024;

/**
 * Reads one `XDG_<NAME>_DIR` of user-dirs.dirs as xdg-user-dirs writes it: `"$HOME/sub"` or
 * `"/absolute"`, with backslash escapes, optionally followed by a `#` comment; the last line
 * naming it wins. Nothing is expanded but the leading `$HOME`. `"$HOME/"` (the folder switched
 * off) and any other form count as unset.
 */
export function userDir(text: string, name: UserDirName, home: string): string | undefined {
  const line = new RegExp(`^\\s*XDG_${name}_DIR\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"\\s*(?:#.*)?$`);
  let found: string | undefined;
  for (const raw of text.split('\n')) {
    const m = line.exec(raw.replace(/\r$/, ''));
    if (m) found = (m[1] as string).replace(/\\(.)/g, '$1');
  }
  if (found === undefined) return undefined;
  if (found.startsWith('$HOME/')) {
    const rest = found.slice('$HOME/'.length).replace(/\/+$/, '');
    return rest === '' ? undefined : join(home, rest);
  }
  return found.startsWith('/') ? found : undefined;
}

/**
 * The text of the user's `$XDG_CONFIG_HOME/user-dirs.dirs` (`~/.config` when unset or relative);
 * '' when it is missing, unreadable or not a regular file (a FIFO is never waited on). At most
 * 64 KiB are read.
 */
export async function readUserDirs(env: NodeJS.ProcessEnv, home: string): Promise<string> {
  const config = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  const file = await open(join(config, 'user-dirs.dirs'), constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (!file) return '';
  try {
    if (!(await file.stat()).isFile()) return '';
    const buffer = Buffer.alloc(MAX_USER_DIRS_BYTES);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } catch {
    return '';
  } finally {
    await file.close();
  }
}
