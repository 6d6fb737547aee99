import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { ClipboardReadError, type SelectionName } from '../backend.js';

/** The environment wl-clipboard runs in: WAYLAND_DISPLAY and XDG_RUNTIME_DIR name the compositor's socket. */
export type WaylandEnv = Readonly<Record<string, string | undefined>>;

/** The two programs of wl-clipboard. */
export type WlTool = 'wl-paste' | 'wl-copy';

/** The option that points a wl-clipboard tool at a selection. */
export function selectionArgs(selection: SelectionName): string[] {
  return selection === 'primary' ? ['--primary'] : [];
}

/** The error for a tool that could not start: a missing one names the Debian package to install. */
export function startError(tool: WlTool, err: Error): Error {
  const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
  return new Error(missing ? `${tool} was not found: install the Debian package wl-clipboard` : `${tool} could not start: ${err.message}`);
}

/**
 * The wl-clipboard processes of one backend. Each starts by argument vector (never a shell) as the
 * leader of a new process group, so that ending it also ends what it forks (the `cat` wl-paste
 * pipes through, the command of `--watch`, the writers wl-copy forks for each paste); the backend
 * ends and awaits them all when it closes.
 */
export class WlTools {
  private readonly running = new Map<ChildProcess, Promise<void>>();

  constructor(private readonly env: WaylandEnv) {}

  /** Starts a tool in the backend's environment (without a WAYLAND_DEBUG of the session's), plus `extraEnv`. */
  spawn(tool: WlTool, args: readonly string[], stdio: StdioOptions, extraEnv: WaylandEnv = {}): ChildProcess {
    const child = spawn(tool, args, { env: { ...this.env, WAYLAND_DEBUG: undefined, ...extraEnv }, stdio, detached: true });
    const gone = new Promise<void>((resolve) => {
      child.once('error', () => resolve());
      child.once('close', () => resolve());
    }).then(() => void this.running.delete(child));
    this.running.set(child, gone);
    return child;
  }

  /**
   * Runs wl-paste to its end and collects its output, exactly as printed. Rejects with a
   * ClipboardReadError: too-large past `limit` bytes, timeout after `timeoutMs`, failed when it
   * cannot start or the run is aborted; the process group is ended in each case.
   */
  paste(args: readonly string[], bounds: PasteBounds): Promise<PasteResult> {
    return new Promise((resolve, reject) => {
      if (bounds.signal.aborted) return reject(new ClipboardReadError('failed', 'the Wayland clipboard is closed'));
      const child = this.spawn('wl-paste', args, ['ignore', 'pipe', 'pipe']);
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = '';
      let settled = false;
      const finish = (err: ClipboardReadError | undefined, code: number | null = null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        bounds.signal.removeEventListener('abort', abort);
        if (err) {
          endTool(child);
          reject(err);
        } else resolve({ code, stdout: Buffer.concat(chunks, size), stderr });
      };
      const abort = (): void => finish(new ClipboardReadError('failed', 'the Wayland clipboard was closed during the read'));
      const timer = setTimeout(() => finish(new ClipboardReadError('timeout', `wl-paste ${args.join(' ')} took longer than ${bounds.timeoutMs} ms`)), bounds.timeoutMs);
      bounds.signal.addEventListener('abort', abort);
      child.stdout?.on('data', (d: Buffer) => {
        size += d.length;
        if (size > bounds.limit) return finish(new ClipboardReadError('too-large', `more than ${bounds.limit} bytes`));
        chunks.push(d);
      });
      child.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString();
      });
      child.once('error', (err) => finish(new ClipboardReadError('failed', startError('wl-paste', err).message)));
      child.once('close', (code) => finish(undefined, code));
    });
  }

  /** Ends every process still running and waits until they are gone. */
  async endAll(): Promise<void> {
    for (const child of this.running.keys()) endTool(child);
    await Promise.all(this.running.values());
  }
}

/** Ends a tool's process group (nothing if it is gone already). */
export function endTool(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // The whole group has exited already.
  }
}

/** What a finished wl-paste printed. */
export interface PasteResult {
  /** Its exit status (null when a signal ended it). */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Bounds of one wl-paste run. */
export interface PasteBounds {
  /** Most bytes of standard output accepted. */
  limit: number;
  timeoutMs: number;
  /** Ends the run early (the backend closes). */
  signal: AbortSignal;
}

/** Whether wl-paste said that nothing owns the selection. */
export function saysNoSelection(result: PasteResult): boolean {
  return result.code !== 0 && /No selection/.test(result.stderr);
}
