import { closeSync, constants, fsyncSync, lstatSync, openSync, readFileSync, renameSync, type Stats, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';

/** The first file handle, as qemu-ga numbers them. */
const FIRST_HANDLE = 1000;
/** The record's name in the state directory. */
const STATE_FILE = 'qga-state.json';
/** Largest record read: a real one is about 40 bytes. */
const MAX_STATE_BYTES = 4096;

/** What survives a restart of the guest agent. */
export interface AgentState {
  /** Whether filesystems may be frozen (set before the first freeze, cleared after the thaw). */
  frozen: boolean;
  /** Every handle below this may have been given out: the next run starts here. */
  handleLimit: number;
}

const FRESH: AgentState = { frozen: false, handleLimit: FIRST_HANDLE };

/** Why a file or directory is not ours alone, or undefined when it is. */
function notOurs(st: Stats, kind: 'file' | 'directory'): string | undefined {
  if (kind === 'file' ? !st.isFile() : !st.isDirectory()) return `is not a ${kind}`;
  if (st.uid !== process.geteuid?.()) return `is owned by uid ${st.uid}`;
  if (st.mode & 0o022) return 'is writable by others';
  return undefined;
}

/** The record's content, or undefined when it is not one. */
function parseState(text: string): AgentState | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const { frozen, handleLimit } = v as Record<string, unknown>;
    if (typeof frozen !== 'boolean' || typeof handleLimit !== 'number') return undefined;
    if (!Number.isSafeInteger(handleLimit) || handleLimit < FIRST_HANDLE) return undefined;
    return { frozen, handleLimit };
  } catch {
    return undefined;
  }
}

/**
 * The guest agent's state in its state directory, as qemu-ga keeps its own: read once at start,
 * each change written atomically (temporary file, fsync, rename, fsync of the directory). A record
 * that is present but cannot be trusted (another owner, writable by others, corrupt) is refused
 * with a log line and the agent starts frozen: it cannot know that filesystems are not frozen,
 * and a needless thaw is harmless while a missed one leaves the guest stuck. Without the
 * directory (or with one others may write) the state lives in memory only.
 */
export class StateStore {
  private current: AgentState;
  private readonly dir: string | undefined;

  constructor(dir: string, private readonly log: Logger) {
    const { state, usable } = StateStore.load(dir, log);
    this.current = state;
    this.dir = usable ? dir : undefined;
  }

  private static load(dir: string, log: Logger): { state: AgentState; usable: boolean } {
    let dirStat: Stats;
    try {
      dirStat = lstatSync(dir);
    } catch {
      log.warn(`state directory ${dir} is missing: frozen state and file handles are kept in memory only`);
      return { state: { ...FRESH }, usable: false };
    }
    const file = join(dir, STATE_FILE);
    const badDir = notOurs(dirStat, 'directory');
    let fileStat: Stats | undefined;
    try {
      fileStat = lstatSync(file);
    } catch {
      fileStat = undefined;
    }
    if (badDir) {
      log.error(`state directory ${dir} ${badDir}: refused; state is kept in memory only${fileStat ? ', starting frozen' : ''}`);
      return { state: { ...FRESH, frozen: fileStat !== undefined }, usable: false };
    }
    if (!fileStat) return { state: { ...FRESH }, usable: true };
    const why = notOurs(fileStat, 'file') ?? (fileStat.size > MAX_STATE_BYTES ? 'is too large' : undefined);
    const state = why ? undefined : parseState(readFileSync(file, 'utf8'));
    if (!state) {
      log.error(`state file ${file} ${why ?? 'is corrupt'}: refused; starting frozen, file handles from ${FIRST_HANDLE}`);
      return { state: { ...FRESH, frozen: true }, usable: true };
    }
    return { state, usable: true };
  }

  /** The state read at start, with changes since. */
  get state(): Readonly<AgentState> {
    return this.current;
  }

  /** Records a change; throws when it cannot be written (the in-memory state then stays as it was). */
  update(change: Partial<AgentState>): void {
    const next = { ...this.current, ...change };
    if (this.dir) {
      const tmp = join(this.dir, `.${STATE_FILE}.tmp`);
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
      try {
        writeSync(fd, `${JSON.stringify(next)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.dir, STATE_FILE));
      const dirFd = openSync(this.dir, constants.O_RDONLY);
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    }
    this.current = next;
  }

  /** Like update, but a failure is only logged (for changes that must go on regardless). */
  tryUpdate(change: Partial<AgentState>): void {
    try {
      this.update(change);
    } catch (err) {
      this.log.error(`state directory: ${(err as Error).message}`);
    }
  }
}
