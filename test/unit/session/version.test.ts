import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ROOT } from '../../support/harness.js';
import { CHANNEL_PROTOCOL, checkHelperVersion, formatVersion, installedVersion, type ProgramVersion } from '../../../src/session/version.js';

const DAEMON: ProgramVersion = { package: '0.2.0', channel: CHANNEL_PROTOCOL };

describe('the version daemon and helper exchange', () => {
  it('is the package.json version of the installation the code came from, and the channel protocol', () => {
    const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
    expect(installedVersion()).toEqual({ package: version, channel: CHANNEL_PROTOCOL });
  });

  it('trusts a helper of the same package version and channel protocol', () => {
    expect(checkHelperVersion(DAEMON, { package: '0.2.0', channel: CHANNEL_PROTOCOL })).toBeUndefined();
  });

  it.each([
    ['another package version', { package: '0.1.0', channel: CHANNEL_PROTOCOL }],
    ['another channel protocol of the same package version (a development build)', { package: '0.2.0', channel: CHANNEL_PROTOCOL + 1 }],
  ])('refuses %s as OtherVersion', (_what, reported) => {
    const err = checkHelperVersion(DAEMON, reported);
    expect([err?.code, err?.reported]).toEqual(['OtherVersion', reported]);
  });

  it.each([
    ['no version (a helper from before the exchange)', undefined],
    ['a version that is not an object', '0.2.0/1'],
    ['a package that is not a string', { package: 2, channel: CHANNEL_PROTOCOL }],
    ['an overlong package string', { package: 'x'.repeat(65), channel: CHANNEL_PROTOCOL }],
    ['a fractional channel', { package: '0.2.0', channel: 1.5 }],
  ])('refuses %s as NoVersion', (_what, reported) => {
    expect(checkHelperVersion(DAEMON, reported)?.code).toBe('NoVersion');
  });

  it('is written as package/channel in the helper’s environment and the logs', () => {
    expect(formatVersion(DAEMON)).toBe(`0.2.0/${CHANNEL_PROTOCOL}`);
    expect(formatVersion(undefined)).toBe('none');
  });
});
