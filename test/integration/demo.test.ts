import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/harness.js';

describe('npm run demo (the README\'s first command)', () => {
  it('plays the whole demo against the real daemon and its helper, and exits 0', () => {
    const run = spawnSync(process.execPath, [CLI, 'demo'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout).toContain('[files] hello.txt: "hello, guest"');
    expect(run.stdout).toContain('demo finished');
    expect(run.status).toBe(0);
  }, 70_000);
});
