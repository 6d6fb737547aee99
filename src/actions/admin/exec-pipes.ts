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

/** Pipes for the streams a program needs: its input when there is some, and the captured outputs. */
export function execPipes(mode: CaptureMode, withInput: boolean): ExecPipes {
  const childEnds: number[] = [];
  const reading = (): Socket => {
    const [r, w] = pipe();
    childEnds.push(w);
    return new Socket({ fd: r, readable: true, writable: false });
  };
  let input: Socket | undefined;
  let stdin: number | 'ignore' = 'ignore';
  if (withInput) {
    const [r, w] = pipe();
    childEnds.push(r);
    stdin = r;
    input = new Socket({ fd: w, readable: false, writable: true });
  }
  const out = mode === 'separated' || mode === 'stdout' || mode === 'merged' ? reading() : undefined;
  const outFd = out ? (childEnds.at(-1) as number) : 'ignore';
  const err = mode === 'separated' || mode === 'stderr' ? reading() : undefined;
  const errFd = err ? (childEnds.at(-1) as number) : mode === 'merged' ? outFd : 'ignore';
  // Jobs outlive a stopping agent and do not hold it up: the agent's ends do not keep it running.
  for (const s of [input, out, err]) s?.unref();
  const closeChildEnds = (): void => {
    for (const fd of childEnds.splice(0)) closeSync(fd);
  };
  return {
    stdio: [stdin, outFd, errFd],
    input,
    out,
    err,
    closeChildEnds,
    destroy() {
      closeChildEnds();
      for (const s of [input, out, err]) s?.destroy();
    },
  };
}
