import { spawn } from 'node:child_process';

/** A selection as xclip names it. */
export type XSelection = 'clipboard' | 'primary';

/**
 * Another X application copies: xclip takes the selection with `data` as `target` and serves it
 * from the background (`options`: more xclip arguments, e.g. `-loops 1` to quit after one paste).
 */
export async function xclipCopy(env: NodeJS.ProcessEnv, selection: XSelection, target: string, data: Buffer | string, options: string[] = []): Promise<void> {
  const child = spawn('xclip', ['-i', '-selection', selection, '-t', target, ...options], { env, stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin.end(data);
  // xclip forks: the parent exits once the child owns the selection.
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
  if (code !== 0) throw new Error(`xclip -i exited with ${code}`);
}

/** Another X application pastes: the bytes xclip got for `target`, or null when the owner refused. */
export async function xclipPaste(env: NodeJS.ProcessEnv, selection: XSelection, target: string): Promise<Buffer | null> {
  const child = spawn('xclip', ['-o', '-selection', selection, '-t', target], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.resume();
  // 'close' comes after the exit and the end of its output.
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
  return code === 0 ? Buffer.concat(out) : null;
}

/** The targets the selection's owner offers now (its TARGETS list), empty when nobody owns it. */
export async function xclipTargets(env: NodeJS.ProcessEnv, selection: XSelection): Promise<string[]> {
  const out = await xclipPaste(env, selection, 'TARGETS');
  return out ? out.toString().split('\n').filter(Boolean) : [];
}
