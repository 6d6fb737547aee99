import { describe, expect, it } from 'vitest';
import { chpasswdLine } from '../../../../src/actions/admin/passwords.js';
import { QgaErrorCode } from '../../../../src/qga/index.js';

const codeOf = (f: () => unknown): QgaErrorCode | undefined => {
  try {
    f();
  } catch (err) {
    return (err as { code: QgaErrorCode }).code;
  }
  return undefined;
};

describe("guest-set-user-password's line for chpasswd", () => {
  it('is USER:PASSWORD and a newline, the password bytes as the host sent them (no UTF-8 check, as qemu-ga)', () => {
    expect(chpasswdLine('alice', Buffer.from('s3cret:with colon'))).toEqual(Buffer.from('alice:s3cret:with colon\n'));
    expect(chpasswdLine('alice', Buffer.of(0xff, 0xfe))).toEqual(Buffer.from([...Buffer.from('alice:'), 0xff, 0xfe, 0x0a]));
  });

  it('refuses a newline in the password before looking at the user name, as qemu-ga does', () => {
    expect(() => chpasswdLine('a:b', Buffer.from('a\nb'))).toThrow('forbidden characters in raw password');
  });

  it('refuses a NUL in the password (qemu-ga would set the part before it)', () => {
    expect(codeOf(() => chpasswdLine('alice', Buffer.from('pass\0word')))).toBe(QgaErrorCode.InvalidParameterValue);
  });

  it("refuses ':' or a newline in the user name", () => {
    expect(() => chpasswdLine('a:b', Buffer.from('pw'))).toThrow('forbidden characters in username');
    expect(codeOf(() => chpasswdLine('a\nb', Buffer.from('pw')))).toBe(QgaErrorCode.InvalidParameterValue);
  });

  it('writes a NUL of the user name as QEMU does (C0 80), so chpasswd never sees a shorter name', () => {
    expect(chpasswdLine('root\0x', Buffer.from('pw'))).toEqual(Buffer.from([...Buffer.from('root'), 0xc0, 0x80, ...Buffer.from('x:pw\n')]));
  });
});
