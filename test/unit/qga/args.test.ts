import { describe, expect, it } from 'vitest';
import { checkArgs, findCommand, JsonStreamParser, type JsonValue, MAX_TABLE_ORDER_MEMBERS, qdictOrder, QgaError, QgaErrorCode } from '../../../src/qga/index.js';
import { firstUnvisitedKey, gStrHash } from '../../../src/qga/ghash.js';

const object = (text: string): Map<string, JsonValue> => {
  const [event] = new JsonStreamParser().feed(Buffer.from(`${text}\n`));
  if (event?.kind !== 'value' || !(event.value instanceof Map)) throw new Error(`not an object: ${text}`);
  return event.value;
};

/** The error code and text of checking a command's arguments, or undefined when they pass. */
function argError(command: string, args: string): [QgaErrorCode, string] | undefined {
  try {
    checkArgs(findCommand(command)?.args ?? [], object(args));
    return undefined;
  } catch (err) {
    if (!(err instanceof QgaError)) throw err;
    return [err.code, err.desc];
  }
}

describe('a list of structs (guest-set-vcpus, guest-set-memory-blocks), as qemu-ga 7.2 checks it', () => {
  it.each([
    ['guest-set-vcpus', '{}', QgaErrorCode.MissingParameter, "Parameter 'vcpus' is missing"],
    ['guest-set-vcpus', '{"vcpus":{}}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'vcpus', expected: array"],
    ['guest-set-vcpus', '{"vcpus":[1]}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'vcpus[0]', expected: object"],
    ['guest-set-vcpus', '{"vcpus":[{"x":1}]}', QgaErrorCode.MissingParameter, "Parameter 'vcpus[0].logical-id' is missing"],
    ['guest-set-vcpus', '{"vcpus":[{"logical-id":"a"}]}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'vcpus[0].logical-id', expected: integer"],
    ['guest-set-vcpus', '{"vcpus":[{"logical-id":0}]}', QgaErrorCode.MissingParameter, "Parameter 'vcpus[0].online' is missing"],
    ['guest-set-vcpus', '{"vcpus":[{"logical-id":0,"online":true,"can-offline":1}]}', QgaErrorCode.InvalidParameterType, "Invalid parameter type for 'vcpus[0].can-offline', expected: boolean"],
    ['guest-set-vcpus', '{"vcpus":[{"logical-id":0,"online":true,"x":1}]}', QgaErrorCode.UnexpectedParameter, "Parameter 'vcpus[0].x' is unexpected"],
    ['guest-set-vcpus', '{"vcpus":[{"logical-id":0,"online":true},{"online":true}]}', QgaErrorCode.MissingParameter, "Parameter 'vcpus[1].logical-id' is missing"],
    // Each item is checked whole (its unexpected members too) before the next one.
    ['guest-set-vcpus', '{"vcpus":[{"logical-id":0,"online":true,"y":1},{}]}', QgaErrorCode.UnexpectedParameter, "Parameter 'vcpus[0].y' is unexpected"],
    ['guest-set-memory-blocks', '{"mem-blks":[{"phys-index":0}]}', QgaErrorCode.MissingParameter, "Parameter 'mem-blks[0].online' is missing"],
    ['guest-set-memory-blocks', '{"mem-blks":[{"phys-index":18446744073709551616,"online":true}]}', QgaErrorCode.InvalidParameterValue, "Parameter 'mem-blks[0].phys-index' expects uint64"],
    ['guest-set-memory-blocks', '{"mem-blks":[{"phys-index":"0","online":true}]}', QgaErrorCode.InvalidParameterValue, "Parameter 'mem-blks[0].phys-index' expects uint64"],
  ])('%s %s: %s', (command, args, code, desc) => {
    expect(argError(command, args)).toEqual([code, desc]);
  });

  it('reads each item back as its own checked arguments', () => {
    const args = checkArgs(findCommand('guest-set-vcpus')?.args ?? [], object('{"vcpus":[{"logical-id":3,"online":false,"can-offline":true},{"logical-id":-1,"online":true}]}'));
    expect(args.optStructList('vcpus')?.map((v) => [v.int('logical-id'), v.bool('online')])).toEqual([[3n, false], [-1n, true]]);
  });

  it('takes a phys-index as QAPI takes a uint64: negative ones modulo 2^64, as qemu-ga echoes them', () => {
    const args = checkArgs(findCommand('guest-set-memory-blocks')?.args ?? [], object('{"mem-blks":[{"phys-index":-1,"online":true},{"phys-index":18446744073709551615,"online":true}]}'));
    expect(args.optStructList('mem-blks')?.map((b) => b.int('phys-index'))).toEqual([2n ** 64n - 1n, 2n ** 64n - 1n]);
  });

  it('accepts an empty list', () => {
    expect(argError('guest-set-vcpus', '{"vcpus":[]}')).toBeUndefined();
  });
});

describe('several unexpected arguments: qemu-ga names the first its GLib hash table yields', () => {
  // Answers recorded from qemu-ga 7.2 (GLib 2.74); the request order does not decide.
  it.each([
    ['guest-ping', '{"a":1,"b":2}', 'b'],
    ['guest-ping', '{"b":1,"a":2}', 'b'],
    ['guest-ping', '{"abc":1,"x":2,"zz":3,"hello":4}', 'abc'],
    ['guest-ping', '{"zz":1,"x":2,"abc":3,"hello":4}', 'abc'],
    ['guest-ping', '{"aisjtz":1,"gjwws":1,"klw":1}', 'klw'],
    ['guest-ping', '{"8uw":1,"8v8":1,"0z":1,"drtzj":1}', 'drtzj'],
    ['guest-file-open', '{"path":"/nonexistent/x","5tk":1,"9c9w":1}', '9c9w'],
    ['guest-file-open', '{"path":"/nonexistent/x","y":1,"o4cl7_n":1,"sjaldqk":1,"_32":1}', 'o4cl7_n'],
    ['guest-exec', '{"path":"/nonexistent/x","arg":[],"env":[],"v":1,"8o":1}', 'v'],
    ['guest-exec', '{"9":1,"path":"/nonexistent/x","env":[],"14g_04u":1,"y-qvkjez":1,"1gdo":1}', '1gdo'],
    // Removing five visited members shrinks the table before the search.
    ['guest-exec', '{"path":"/x","arg":[],"env":[],"input-data":"eA==","capture-output":true,"r":1,"kj0":1,"s7o24":1,"h":1,"tsnzvt":1}', 'h'],
    ['guest-exec', '{"path":"/x","arg":[],"env":[],"input-data":"eA==","capture-output":true,"fky5yo":1,"9pjuacp":1,"eqn_":1,"-ff-lm_":1}', '9pjuacp'],
    // Bytes past ASCII hash as signed chars.
    ['guest-exec', '{"path":"/x","arg":[],"env":[],"input-data":"eA==","capture-output":true,"lkk":1,"7c_sla\\u00e9":1,"xwq0\\u00e9h":1}', '7c_sla\u00e9'],
    // Enough keys to grow the table several times.
    [
      'guest-ping',
      '{"3":1,"7":1,"72":1,"x":1,"9amidlg3":1,"i":1,"xzzwtut":1,"v":1,"6t3":1,"1sv23lx":1,"m71":1,"q7p":1,"ufatj":1,"fs9":1,"y":1,"jvd8m0-":1,"dl":1,"0hoamwc_":1,"ai8p_":1,"584f1jo_":1,"p":1,"rp":1,"993allu":1,"n":1,"52eo0j":1,"ekvjg4":1,"s2xfi":1,"8qw":1,"f8mpm7h8":1,"0sdr4":1,"df9iaz3":1,"zw":1,"3sp":1,"4jnv888s":1,"uhhi":1,"man":1,"p7":1,"wd":1,"d8qo4":1}',
      'x',
    ],
  ])('%s %s names %j', (command, args, name) => {
    expect(argError(command, args)).toEqual([QgaErrorCode.UnexpectedParameter, `Parameter '${name}' is unexpected`]);
  });

  it('hashes keys as g_str_hash does, 0 and 1 being reserved', () => {
    expect(gStrHash('')).toBe(5381);
    expect(gStrHash('a')).toBe(5381 * 33 + 97);
    expect(gStrHash('\u00e9')).toBe(((((5381 * 33 + (0xc3 - 256)) >>> 0) * 33 + (0xa9 - 256)) >>> 0) % 2 ** 32);
  });

  it('finds nothing when every key was visited', () => {
    expect(firstUnvisitedKey(['a', 'b'], ['b', 'a'])).toBeUndefined();
  });

  it(`past ${MAX_TABLE_ORDER_MEMBERS} members names the first undeclared one in QDict order, whatever the keys' hashes`, () => {
    const members = new Map<string, JsonValue>(Array.from({ length: MAX_TABLE_ORDER_MEMBERS + 1 }, (_, i) => [`k${i}`, 1]));
    members.set('path', '/x');
    const first = qdictOrder(members).find(([key]) => key !== 'path')?.[0];
    expect(argError('guest-file-open', JSON.stringify(Object.fromEntries(members)))).toEqual([QgaErrorCode.UnexpectedParameter, `Parameter '${first}' is unexpected`]);
  });
});
