import { existsSync, readFileSync } from 'node:fs';

/**
 * The package.json of the installation this code was loaded from: the nearest one above this file,
 * whether the code is compiled module by module (dist/platform/) or bundled (dist/).
 */
function installationPackageJson(): URL {
  for (let dir = new URL('.', import.meta.url); ; ) {
    const file = new URL('package.json', dir);
    const parent = new URL('..', dir);
    if (existsSync(file) || parent.href === dir.href) return file;
    dir = parent;
  }
}

/** The version in the package.json of the installation this code was loaded from, read now ('unknown' when unreadable). */
export function installedPackageVersion(): string {
  try {
    const { version } = JSON.parse(readFileSync(installationPackageJson(), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
