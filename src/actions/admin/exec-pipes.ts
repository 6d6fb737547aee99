import type { StdioOptions } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { pipe } from '../../platform/libc.js';
import type { CAPTURE_MODES } from '../../qga/index.js';

/** Which output streams guest-exec captures: capture-output's modes. */
export type CaptureMode = (typeof CAPTURE_MODES)[number];

/**
 * A guest-exec program's standard streams as pipes, as GLib gives them: Node's 'pipe' is a socket,
 * which a program cannot open again by name (/dev/stdin, /dev/stdout: ENXIO). `stdio` holds the
 * program's ends for spawn; `input`, `out` and `err` the agent's ends (out alone when merged).
 */
export interface ExecPipes {
  stdio: StdioOptions;
  input: Socket | undefined;
  out: Socket | undefined;
  err: Socket | undefined;
  /** Closes the program's ends here, once it has them (or failed to start). */
  closeChildEnds(): void;
  /** Closes the agent's ends too (the program did not start). */
  destroy(): void;
}

/**
 * Pipes for the streams a program needs: its input when there is some, and the captured outputs.
 * Throws the ErrnoError of a pipe that could not be made (EMFILE), with none of those made left open.
 */
export function execPipes(mode: CaptureMode, withInput: boolean): ExecPipes {
  const childEnds: number[] = [];
  const ours: Socket[] = [];
  const closeChildEnds = (): void => {
    for (const fd of childEnds.splice(0)) closeSync(fd);
  };
  const destroy = (): void => {
    closeChildEnds();
    for (const s of ours) s.destroy();
  };
  /** A pipe: `childEnd` of its two ends goes to the program, the other is the agent's socket. */
  const piped = (childEnd: 0 | 1): { fd: number; socket: Socket } => {
    const ends = pipe();
    const fd = ends[childEnd];
    childEnds.push(fd);
    const socket = new Socket({ fd: ends[1 - childEnd] as number, readable: childEnd === 1, writable: childEnd === 0 });
    ours.push(socket);
    return { fd, socket };
  };
  try {
    const input = withInput ? piped(0) : undefined;
    const out = mode === 'separated' || mode === 'stdout' || mode === 'merged' ? piped(1) : undefined;
    const err = mode === 'separated' || mode === 'stderr' ? piped(1) : undefined;
    // Jobs outlive a stopping agent and do not hold it up: the agent's ends do not keep it running.
    for (const s of ours) s.unref();
    const errFd = err?.fd ?? (mode === 'merged' ? out?.fd : undefined);
    return {
      stdio: [input?.fd ?? 'ignore', out?.fd ?? 'ignore', errFd ?? 'ignore'],
      input: input?.socket,
      out: out?.socket,
      err: err?.socket,
      closeChildEnds,
      destroy,
    };
  } catch (e) {
    destroy();
    throw e;
  }
}
