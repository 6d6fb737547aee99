import { describe, expect, it } from 'vitest';
import { parseKeyFile, readTransferRequest } from '../../../../src/actions/file-xfer/keyfile.js';

describe('the FILE_XFER_START key file', () => {
  it('reads what spice-gtk writes', () => {
    expect(readTransferRequest('[vdagent-file-xfer]\nname=a.txt\nsize=3\n')).toEqual({ name: 'a.txt', size: 3 });
  });

  it('undoes key-file escapes in values and keeps inner spaces', () => {
    expect(readTransferRequest('[vdagent-file-xfer]\nname=\\sleading, tab\\there\\\\x\\n\\r\nsize=0\n')).toEqual({ name: ' leading, tab\there\\x\n\r', size: 0 });
    expect(readTransferRequest('[vdagent-file-xfer]\nname=my report.pdf\nsize=10\n')?.name).toBe('my report.pdf');
  });

  it('allows spaces around "=", comments, blank lines, CRLF, other groups and keys, localised keys', () => {
    const text = '# from a client\r\n\r\n[other]\nname=nope\n[vdagent-file-xfer]\nname = b.bin\nname[de]=c.bin\nsize = 42\nfile-xfer-nr=1\nfile-xfer-total=2\n';
    expect(readTransferRequest(text)).toEqual({ name: 'b.bin', size: 42 });
  });

  it('lets a later key replace an earlier one', () => {
    expect(readTransferRequest('[vdagent-file-xfer]\nname=a\nname=b\nsize=1\n')?.name).toBe('b');
  });

  it('refuses a missing name or size, and a size that is not an unsigned decimal within 2^53', () => {
    for (const text of [
      '[vdagent-file-xfer]\nsize=3\n',
      '[vdagent-file-xfer]\nname=a\n',
      '[vdagent-file-xfer]\nname=a\nsize=-1\n',
      '[vdagent-file-xfer]\nname=a\nsize=0x10\n',
      '[vdagent-file-xfer]\nname=a\nsize=\n',
      '[vdagent-file-xfer]\nname=a\nsize=18446744073709551615\n',
      '[other]\nname=a\nsize=3\n',
      '',
    ]) {
      expect(readTransferRequest(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('refuses text that is not a key file: a key before any group, a line without "=", an unknown escape', () => {
    expect(parseKeyFile('name=a\n[vdagent-file-xfer]\n')).toBeUndefined();
    expect(parseKeyFile('[g]\njust words\n')).toBeUndefined();
    expect(parseKeyFile('[g]\nk=bad\\q\n')).toBeUndefined();
    expect(parseKeyFile('[g]\nk=trailing\\\n')).toBeUndefined();
  });

  it('parses groups into maps', () => {
    expect(parseKeyFile('[a]\nx=1\n[b]\ny=2\n[a]\nz=3\n')).toEqual(
      new Map([
        ['a', new Map([['x', '1'], ['z', '3']])],
        ['b', new Map([['y', '2']])],
      ]),
    );
  });
});
