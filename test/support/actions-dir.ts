import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes `<parent>/actions.d` holding the given entries (name → content), with the modes a root
 * daemon trusts (0755 folder, 0644 files); returns its path.
 */
export function makeActionsDir(parent: string, entries: Record<string, string>): string {
  const dir = join(parent, 'actions.d');
  mkdirSync(dir, { mode: 0o755 });
  for (const [name, content] of Object.entries(entries)) writeFileSync(join(dir, name), content, { mode: 0o644 });
  return dir;
}
