import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** Where downloads and built guest images are kept between runs; VDAGENT_E2E_CACHE overrides. */
export function cacheRoot(): string {
  const root = process.env.VDAGENT_E2E_CACHE ?? (process.getuid?.() === 0 ? '/var/cache/vdagent-e2e' : join(homedir(), '.cache', 'vdagent-e2e'));
  mkdirSync(root, { recursive: true });
  return root;
}

/**
 * The run directory `name` under `root`, emptied: what one e2e file's boot writes (data disk,
 * logs, sockets). Its name must not start like an image cache entry's (`cached` removes those).
 */
export function freshRunDir(root: string, name: string): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A short hash of the given parts, for cache keys. */
export function keyOf(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

/**
 * The cache entry `name-key` under `root`: made once by `build` in a fresh directory (an
 * interrupted build is started over), reused afterwards. Other entries of the same name, built
 * for older keys, are removed.
 */
export async function cached(root: string, name: string, key: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, `${name}-${key}`);
  const complete = join(dir, '.complete');
  if (!existsSync(complete)) {
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    await build(partial);
    writeFileSync(join(partial, '.complete'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  for (const other of readdirSync(root)) {
    if (other.startsWith(`${name}-`) && other !== basename(dir) && !other.endsWith('.partial')) rmSync(join(root, other), { recursive: true, force: true });
  }
  return dir;
}
