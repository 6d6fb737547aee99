import { describe, expect, it } from 'vitest';
import { osReleaseValue, parseOsRelease } from '../../../../src/actions/admin/osinfo.js';

describe('os-release values, read as qemu-ga reads them', () => {
  it.each([
    ['"Debian GNU/Linux 12 (bookworm)"', 'Debian GNU/Linux 12 (bookworm)'],
    ['"Test \\"OS\\""', 'Test "OS"'],
    ['"a\\$b\\`c\\\\d\\x"', 'a$b`c\\d\\x'],
    ['debian', 'debian'],
    ['test os', 'test'],
    ['x;y', 'x'],
    ["'1 2'", "'1"],
    ['"unterminated', 'unterminatedd'],
  ])('%s is %s', (raw, value) => {
    expect(osReleaseValue(raw)).toBe(value);
  });

  it('takes KEY=value lines, trimming around the key, skipping comments; the last of a key wins', () => {
    expect(parseOsRelease('# NAME=no\n VERSION = spaced out \nID=a\nID=b\n\nnot a line\n')).toEqual(
      new Map([
        ['VERSION', 'spaced'],
        ['ID', 'b'],
      ]),
    );
  });
});
