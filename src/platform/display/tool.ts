import { execFile } from 'node:child_process';
import { DisplayError, DisplayErrorCode, type DisplayEnv } from './backend.js';

/** How long a display tool may run. */
const TOOL_TIMEOUT_MS = 10_000;

/**
 * For a tool that can hang on its way out after its work is done: the text its standard error
 * shows once the work is done, and how long it then has to exit before it is killed. From that
 * text on, however the tool ends, it resolves with what it wrote to standard output (which a kill
 * may have cut short): what it did is for the caller to read back.
 */
export interface DoneMarker {
  stderr: string;
  graceMs: number;
}

/** Runs a display tool with an argument vector (no shell) and resolves with its standard output. */
export function runTool(file: string, args: readonly string[], env: DisplayEnv, done?: Readonly<DoneMarker>): Promise<string> {
  return new Promise((resolve, reject) => {
    let workDone = false;
    let grace: NodeJS.Timeout | undefined;
    const child = execFile(file, [...args], { env: { ...env }, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      clearTimeout(grace);
      if (err && !workDone) reject(new DisplayError(DisplayErrorCode.ToolFailed, `${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (!done) return;
    // The marker may be split across reads: each search takes the end of the text before it.
    let tail = '';
    child.stderr?.on('data', (chunk: Buffer | string) => {
      const text = tail + chunk.toString();
      tail = text.slice(-done.stderr.length);
      if (workDone || !text.includes(done.stderr)) return;
      workDone = true;
      grace = setTimeout(() => child.kill('SIGKILL'), done.graceMs);
    });
  });
}
