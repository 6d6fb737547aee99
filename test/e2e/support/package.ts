import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/harness.js';
import { run } from './exec.js';

/** The package `npm run package` built for this machine's architecture (npm run e2e builds it first). */
export async function packagePath(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const arch = (await run('dpkg', ['--print-architecture'])).trim();
  const deb = join(ROOT, 'build', `vdagent_${version}_${arch}.deb`);
  if (!existsSync(deb)) throw new Error(`${deb} is missing: run "npm run e2e", which builds it with "npm run package"`);
  return deb;
}
