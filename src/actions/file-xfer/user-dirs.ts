import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads one `XDG_<NAME>_DIR` of user-dirs.dirs: `"$HOME/sub"` or `"/absolute"`, with backslash
 * escapes. `"$HOME/"` (the folder switched off) and anything else count as unset.
 */
export function userDir(text: string, name: string, home: string): string | undefined {
  let found: string | undefined;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^\\s*XDG_${name}_DIR\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"\\s*$`).exec(line);
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
 * Where received files go: the user's XDG download folder, else the desktop folder, else the home
 * folder (spec §10.2), read from `$XDG_CONFIG_HOME/user-dirs.dirs` (default `~/.config`).
 */
export async function downloadDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const home = env.HOME ?? '/';
  const config = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  const text = await readFile(join(config, 'user-dirs.dirs'), 'utf8').catch(() => '');
  return userDir(text, 'DOWNLOAD', home) ?? userDir(text, 'DESKTOP', home) ?? home;
}
