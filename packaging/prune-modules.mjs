// Removes from APP/node_modules every package that no runtime require() chain reaches from APP's
// package.json, not following the packages named after APP (optional native addons that were
// never built, so loading them fails and their users fall back anyway).
// Usage: node prune-modules.mjs APP [SKIPPED-PACKAGE]...
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const [app, ...skipped] = process.argv.slice(2);
if (!app) throw new Error('usage: prune-modules.mjs APP [SKIPPED-PACKAGE]...');

/** The names a package may require: its dependencies and the optional ones that were installed. */
function dependencies(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
}

/** Node's lookup: DIR/node_modules/NAME, then the same from each enclosing package up to APP. */
function resolve(from, name) {
  for (let dir = from; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    if (dir === app || dir === dirname(dir)) return undefined;
  }
}

/** Every installed package directory, nested ones included. */
function installed(modules) {
  if (!existsSync(modules)) return [];
  return readdirSync(modules).flatMap((name) => {
    if (name.startsWith('.')) return [];
    const dir = join(modules, name);
    const packages = name.startsWith('@') ? readdirSync(dir).map((scoped) => join(dir, scoped)) : [dir];
    return packages.flatMap((d) => [d, ...installed(join(d, 'node_modules'))]);
  });
}

const reached = new Set();
const queue = [app];
while (queue.length > 0) {
  const dir = queue.pop();
  for (const name of dependencies(dir)) {
    if (skipped.includes(name)) continue;
    const found = resolve(dir, name);
    if (found && !reached.has(found)) {
      reached.add(found);
      queue.push(found);
    }
  }
}
for (const dir of installed(join(app, 'node_modules'))) {
  if (!reached.has(dir) && existsSync(dir)) rmSync(dir, { recursive: true });
}
