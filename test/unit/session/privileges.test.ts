import { describe, expect, it } from 'vitest';
import { runsAs } from '../../../src/session/privileges.js';

describe('runsAs', () => {
  const uid = process.getuid?.() as number;
  const gid = process.getgid?.() as number;

  it('is true for the identity this process has: the helper keeps it and loads its code on demand', () => {
    expect(runsAs({ uid, gid })).toBe(true);
  });

  it('is false for another user or group: the helper loads all its code before it drops', () => {
    expect(runsAs({ uid: uid + 1, gid })).toBe(false);
    expect(runsAs({ uid, gid: gid + 1 })).toBe(false);
  });
});
