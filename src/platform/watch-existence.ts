import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/** A path followed for its existence. */
export interface ExistenceWatch {
  /** Whether the path exists, as last seen. */
  readonly exists: boolean;
  /** Stops following it. */
  close(): void;
}

/** The inode of a folder, or undefined when it is not there. */
function inodeOf(path: string): number | undefined {
  return statSync(path, { throwIfNoEntry: false })?.ino;
}

/**
 * Follows whether `path` exists, by inotify (fs.watch, no polling) on its folder and on that
 * folder's parent, so that a folder made, removed or replaced with it (`$XDG_RUNTIME_DIR/pulse`)
 * is seen too. `onChange` is called with the new state only when it changed.
 */
export function watchExistence(path: string, onChange: (exists: boolean) => void): ExistenceWatch {
  const folder = dirname(path);
  let exists = existsSync(path);
  let closed = false;
  let inFolder: { watcher: FSWatcher; inode: number } | undefined;
  const follow = (dir: string): FSWatcher | undefined => {
    try {
      const w = watch(dir, { persistent: false }, () => check());
      w.on('error', () => w.close());
      return w;
    } catch {
      return undefined;
    }
  };
  const check = (): void => {
    if (closed) return;
    const inode = inodeOf(folder);
    if (inFolder && inFolder.inode !== inode) {
      inFolder.watcher.close();
      inFolder = undefined;
    }
    if (!inFolder && inode !== undefined) {
      const watcher = follow(folder);
      if (watcher) inFolder = { watcher, inode };
    }
    const now = existsSync(path);
    if (now === exists) return;
    exists = now;
    onChange(now);
  };
  const above = follow(dirname(folder));
  check();
  return {
    get exists() {
      return exists;
    },
    close() {
      closed = true;
      above?.close();
      inFolder?.watcher.close();
    },
  };
}
