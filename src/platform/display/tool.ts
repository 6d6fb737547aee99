import { execFile } from 'node:child_process';
import { DisplayError, DisplayErrorCode, type DisplayEnv } from './backend.js';

/** How long a display tool may run. */
const TOOL_TIMEOUT_MS = 10_000;

/**
 * For a tool that can hang on its way out after its work is done: the text its standard error
 * shows once the work is done, and how long it then has to exit before it is killed and its work
 * taken as done.
 */
export interface DoneMarker {
  stderr: string;
  graceMs: number;
}

/** Runs a display tool with an argument vector (no shell) and resolves with its standard output. */
export function runTool(file: string, args: readonly string[], env: DisplayEnv, done?: DoneMarker): Promise<string> {
  return new Promise((resolve, reject) => {
    let endedAfterWork = false;
    let grace: NodeJS.Timeout | undefined;
    const child = execFile(file, [...args], { env: { ...env }, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      clearTimeout(grace);
      if (err && !endedAfterWork) reject(new DisplayError(DisplayErrorCode.ToolFailed, `${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (!done) return;
    // The marker may be split across reads: each search takes the end of the text before it.
    let tail = '';
    child.stderr?.on('data', (chunk: Buffer | string) => {
      const text = tail + chunk.toString();
      tail = text.slice(-done.stderr.length);
      if (grace || !text.includes(done.stderr)) return;
      grace = setTimeout(() => {
        endedAfterWork = true;
        child.kill('SIGKILL');
      }, done.graceMs);
    });
  });
}
