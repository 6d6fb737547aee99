import { execFile } from 'node:child_process';
import { DisplayError, DisplayErrorCode, type DisplayEnv } from './backend.js';

/** How long a display tool may run. */
const TOOL_TIMEOUT_MS = 10_000;

/** Runs a display tool with an argument vector (no shell) and resolves with its standard output. */
export function runTool(file: string, args: readonly string[], env: DisplayEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { env: { ...env }, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new DisplayError(DisplayErrorCode.ToolFailed, `${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
