import { watch, type FSWatcher } from 'node:fs';
import type { ActionSet } from './actions-d.js';

/**
 * The directories to follow for an action set: the actions.d directories, and those holding the
 * links and files its entries were read through (actions.available, ...), so that re-pointing a
 * link there reloads. Refused entries add none: only trusted directories are followed.
 */
export function watchedDirectories(dirs: readonly string[], actions: ActionSet): string[] {
  return [...new Set([...dirs, ...[...actions.values()].flatMap((e) => e.dirs)])];
}

/**
 * Calls `onChange` after anything changes in the given directories (inotify through fs.watch, no
 * polling), once per burst of changes. Directories that do not exist are not watched.
 */
export function watchDirectories(dirs: readonly string[], onChange: () => void, settleMs = 200): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      const w = watch(dir, () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          onChange();
        }, settleMs);
      });
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // A missing directory has nothing to watch; SIGHUP still reloads.
    }
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
