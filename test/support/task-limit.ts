import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The pids controller's folder: cgroup v1's own hierarchy, or the v2 root when it hands pids down.
 * Undefined where neither is there and writable (no root, a read-only /sys/fs/cgroup).
 */
function pidsRoot(): string | undefined {
  const v2 = '/sys/fs/cgroup';
  const candidates = ['/sys/fs/cgroup/pids'];
  if (existsSync(join(v2, 'cgroup.subtree_control')) && readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('pids')) candidates.push(v2);
  return candidates.find((dir) => {
    try {
      accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether a test can put a process under a task limit of its own (see {@link startTaskLimit}). */
export const TASK_LIMIT_AVAILABLE = pidsRoot() !== undefined;

/** A cgroup with a task limit, as systemd's TasksMax= makes one for a service. */
export interface TaskLimit {
  /** A harness `prefix`: the command it starts runs in the group, and so does all it starts. */
  prefix: string[];
  /** Tasks (threads included) in the group now. */
  current(): number;
  /** How many forks and clones the limit refused so far. */
  refused(): number;
  /** Sets the limit: a number of tasks, or none. */
  set(max: number | 'max'): void;
  /** Removes the group once nothing runs in it (the limit is lifted first). */
  remove(): void;
}

/** Makes a task-limited group named `name` (limit none until set). Throws where {@link TASK_LIMIT_AVAILABLE} is false. */
export function startTaskLimit(name: string): TaskLimit {
  const root = pidsRoot();
  if (!root) throw new Error('no writable pids controller');
  const dir = join(root, name);
  if (!existsSync(dir)) mkdirSync(dir);
  const set = (max: number | 'max'): void => writeFileSync(join(dir, 'pids.max'), String(max));
  return {
    prefix: ['sh', '-c', `echo $$ > ${dir}/cgroup.procs && exec "$@"`, 'sh'],
    current: () => Number(readFileSync(join(dir, 'pids.current'), 'utf8')),
    refused: () => Number(/^max (\d+)$/m.exec(readFileSync(join(dir, 'pids.events'), 'utf8'))?.[1] ?? 0),
    set,
    remove() {
      set('max');
      rmdirSync(dir);
    },
  };
}
