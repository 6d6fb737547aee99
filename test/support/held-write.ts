import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A write(2) held inside the kernel until released (see held-write.c). */
export interface HeldWrite {
  /** Lets the write finish; resolves once the program ended. */
  release(): Promise<void>;
}

/**
 * Compiles held-write.c into `dir` (gcc) and holds a write to `file` until released: by default
 * the file is made empty first; with `append`, the write goes at its end and what it holds stays.
 */
export async function holdWrite(dir: string, file: string, options: { append?: boolean } = {}): Promise<HeldWrite> {
  const program = join(dir, 'held-write');
  execFileSync('gcc', ['-O2', '-pthread', '-o', program, fileURLToPath(new URL('./held-write.c', import.meta.url))]);
  const child = spawn(program, options.append ? [file, 'append'] : [file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('held\n') && resolve());
    child.once('exit', (code) => reject(new Error(`held-write ended (status ${code}) before holding the write`)));
  });
  return {
    async release() {
      child.stdin.end('\n');
      await exited;
    },
  };
}
