import { describe, expect, it } from 'vitest';
import { checkArgs, checkRequest, COMMANDS, decodeBase64, findCommand, guestInfo, JsonStreamParser, type JsonValue, QGA_ACTIONS, QgaError, QgaErrorCode } from '../../../src/qga/index.js';
import { ADMIN_ACTIONS } from '../../../src/actions/registry.js';

const value = (text: string): JsonValue => {
  const [event] = new JsonStreamParser().feed(Buffer.from(`${text}\n`));
  if (event?.kind !== 'value') throw new Error(`not a value: ${text}`);
  return event.value;
};

/** The error code and text of checking a command's arguments. */
function argError(command: string, args: string): [QgaErrorCode, string] | undefined {
  try {
    checkArgs(findCommand(command)?.args ?? [], value(args) as Map<string, JsonValue>);
    return undefined;
  } catch (err) {
    if (!(err instanceof QgaError)) throw err;
    return [err.code, err.desc];
  }
}

describe('requests', () => {
  it('are objects with a string execute, an object of arguments and any id', () => {
    const check = checkRequest(value('{"execute":"guest-sync","arguments":{"id":1},"id":[null]}'));
    expect(check.ok && [check.request.execute, check.request.id]).toEqual(['guest-sync', [null]]);
  });

  it.each([
    ['[1]', 'QMP input must be a JSON object', false],
    ['{}', "QMP input lacks member 'execute'", false],
    ['{"execute":1,"id":2}', "QMP input member 'execute' must be a string", true],
    ['{"execute":"x","arguments":null,"id":2}', "QMP input member 'arguments' must be an object", true],
    ['{"execute":"x","exec-oob":"y","id":2}', "QMP input member 'exec-oob' is unexpected", true],
  ])('%s is refused: %s', (text, desc, hasId) => {
    const check = checkRequest(value(text));
    expect(!check.ok && [check.error.code, check.error.desc, check.id]).toEqual([QgaErrorCode.BadRequest, desc, hasId ? 2 : undefined]);
  });
});

describe('arguments', () => {
  it.each([
    ['guest-sync', '{}', QgaErrorCode.MissingParameter, "Parameter 'id' is missing"],
    ['guest-sync', '{"id":1.0}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'id', expected: integer"],
    ['guest-sync', '{"id":9223372036854775808}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'id', expected: integer"],
    ['guest-ping', '{"foo":1}', QgaErrorCode.UnexpectedParameter, "Parameter 'foo' is unexpected"],
    ['guest-exec', '{"foo":1,"path":3}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'path', expected: string"],
    ['guest-exec', '{"path":"p","arg":["a",null]}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'arg[1]', expected: string"],
    ['guest-exec', '{"path":"p","capture-output":"all"}', QgaErrorCode.InvalidParameterValue, "Parameter 'capture-output' does not accept value 'all'"],
    ['guest-file-seek', '{"handle":1,"offset":0,"whence":"bogus"}', QgaErrorCode.InvalidParameterValue, "Parameter 'whence' does not accept value 'bogus'"],
    ['guest-file-seek', '{"handle":1,"offset":0,"whence":1.5}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'whence', expected: integer"],
    ['guest-file-seek', '{"handle":1,"offset":0,"whence":null}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'whence', expected: GuestFileWhence"],
  ])('%s %s: %s', (command, args, code, desc) => {
    expect(argError(command, args)).toEqual([code, desc]);
  });

  it('are read back by type, integers as bigint', () => {
    const args = checkArgs(findCommand('guest-file-seek')?.args ?? [], value('{"handle":1000,"offset":-4,"whence":"end"}') as Map<string, JsonValue>);
    expect([args.int('handle'), args.int('offset'), args.optIntOrStr('whence')]).toEqual([1000n, -4n, 'end']);
  });
});

describe('the command table', () => {
  it('is enabled by the admin actions the registry knows, and lists them in guest-info', () => {
    expect([...QGA_ACTIONS].sort()).toEqual([...ADMIN_ACTIONS].sort());
    const info = guestInfo('1.2.3', (c) => c.action === 'always');
    const listed = info.get('supported_commands') as Map<string, JsonValue>[];
    expect(listed.map((c) => c.get('name'))).toEqual(COMMANDS.map((c) => c.name));
    expect(listed.find((c) => c.get('name') === 'guest-shutdown')?.get('success-response')).toBe(false);
    expect(listed.filter((c) => c.get('enabled')).map((c) => c.get('name'))).toEqual(['guest-fsfreeze-status', 'guest-info', 'guest-ping', 'guest-sync', 'guest-sync-delimited']);
  });
});

describe('base64 input', () => {
  it.each([
    ['QUJD', 'ABC'],
    ['QQ==', 'A'],
    ['QU\nJD', 'ABC'],
    ['QUJ', ''],
    ['QU=D', 'A\x03'],
    ['====', '\x00'],
    ['QUJDQQ==QUJD', 'ABCAABC'],
  ])('decodes %j like GLib', (text, bytes) => {
    expect(decodeBase64(text).toString('latin1')).toBe(bytes);
  });

  it.each([' QUJD', 'QUJD\r', '-_==', 'QU\u0000JD'])('refuses %j', (text) => {
    expect(() => decodeBase64(text)).toThrow(expect.objectContaining({ code: QgaErrorCode.InvalidBase64 }));
  });
});
