import { QgaError, QgaErrorCode } from './errors.js';
import { qdictOrder } from './encode.js';
import { firstUnvisitedKey } from './ghash.js';
import { JsonFloat, type JsonObject, type JsonValue } from './json.js';

/** A QAPI argument type, as far as the guest-agent commands use them. */
export type ArgType =
  | { kind: 'int' }
  /** QAPI's uint64: any 64-bit integer, a negative one taken modulo 2^64 as QEMU casts it. */
  | { kind: 'uint64' }
  | { kind: 'bool' }
  | { kind: 'str' }
  | { kind: 'list'; of: ArgType }
  /** A QAPI struct: its members, in declaration order. */
  | { kind: 'struct'; members: readonly ArgSpec[] }
  /** An alternate of an integer and an enum (GuestFileWhence). */
  | { kind: 'int-or-enum'; name: string; values: readonly string[] }
  /** An alternate of a boolean and an enum (GuestExecCaptureOutput). */
  | { kind: 'bool-or-enum'; name: string; values: readonly string[] };

/** One argument of a command. */
export interface ArgSpec {
  name: string;
  type: ArgType;
  optional?: boolean;
}

/** A checked argument: integers as bigint, enums as their string, structs as their checked members. */
export type ArgValue = bigint | boolean | string | readonly ArgValue[] | Args;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Shorthands for argument types. */
export const T = {
  int: { kind: 'int' },
  bool: { kind: 'bool' },
  str: { kind: 'str' },
  strList: { kind: 'list', of: { kind: 'str' } },
} as const satisfies Record<string, ArgType>;

const typeError = (path: string, expected: string): QgaError =>
  new QgaError(QgaErrorCode.InvalidParameterType, `Invalid parameter type for '${path}', expected: ${expected}`);

const isNumber = (v: JsonValue): boolean => typeof v === 'number' || typeof v === 'bigint' || v instanceof JsonFloat;

function checkInt(v: JsonValue, path: string): bigint {
  const n = typeof v === 'number' ? BigInt(v) : v;
  if (typeof n !== 'bigint' || n < INT64_MIN || n > INT64_MAX) throw typeError(path, 'integer');
  return n;
}

/** QAPI's uint64 refuses anything else with its own words ("expects uint64"), not as a type error. */
function checkUint64(v: JsonValue, path: string): bigint {
  const n = typeof v === 'number' ? BigInt(v) : v;
  if (typeof n !== 'bigint' || n < INT64_MIN || n > UINT64_MAX) throw new QgaError(QgaErrorCode.InvalidParameterValue, `Parameter '${path}' expects uint64`);
  return BigInt.asUintN(64, n);
}

function checkEnum(v: string, path: string, values: readonly string[]): string {
  if (!values.includes(v)) throw new QgaError(QgaErrorCode.InvalidParameterValue, `Parameter '${path}' does not accept value '${v}'`);
  return v;
}

function check(type: ArgType, v: JsonValue, path: string): ArgValue {
  switch (type.kind) {
    case 'int':
      return checkInt(v, path);
    case 'uint64':
      return checkUint64(v, path);
    case 'bool':
      if (typeof v !== 'boolean') throw typeError(path, 'boolean');
      return v;
    case 'str':
      if (typeof v !== 'string') throw typeError(path, 'string');
      return v;
    case 'list':
      if (!Array.isArray(v)) throw typeError(path, 'array');
      return v.map((item, i) => check(type.of, item, `${path}[${i}]`));
    case 'struct':
      if (!(v instanceof Map)) throw typeError(path, 'object');
      return checkMembers(type.members, v, `${path}.`);
    case 'int-or-enum':
      if (isNumber(v)) return checkInt(v, path);
      if (typeof v === 'string') return checkEnum(v, path, type.values);
      throw typeError(path, type.name);
    case 'bool-or-enum':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string') return checkEnum(v, path, type.values);
      throw typeError(path, type.name);
  }
}

/**
 * Objects with more members than this name their first undeclared member in QDict order instead of
 * GLib's table order: keys of one g_str_hash (easily made) make the table's layout cost quadratic
 * time to reproduce, minutes for a single request, while no real client sends that many.
 */
export const MAX_TABLE_ORDER_MEMBERS = 256;

/**
 * Checks an object's members as QEMU's input visitor does: declared members in order (missing,
 * then type, nested values depth first), then any member not declared. With several undeclared
 * members it names the one GLib's hash table yields first, as qemu-ga does (up to
 * MAX_TABLE_ORDER_MEMBERS members).
 */
function checkMembers(specs: readonly ArgSpec[], obj: JsonObject, prefix: string): Args {
  const values = new Map<string, ArgValue>();
  for (const spec of specs) {
    const v = obj.get(spec.name);
    if (v === undefined) {
      if (!spec.optional) throw new QgaError(QgaErrorCode.MissingParameter, `Parameter '${prefix}${spec.name}' is missing`);
      continue;
    }
    values.set(spec.name, check(spec.type, v, `${prefix}${spec.name}`));
  }
  if (values.size < obj.size) {
    const keys = qdictOrder(obj).map(([key]) => key);
    const unexpected = keys.length <= MAX_TABLE_ORDER_MEMBERS ? firstUnvisitedKey(keys, [...values.keys()]) : keys.find((key) => !values.has(key));
    if (unexpected !== undefined) throw new QgaError(QgaErrorCode.UnexpectedParameter, `Parameter '${prefix}${unexpected}' is unexpected`);
  }
  return new Args(values);
}

/** Checks a command's arguments against its list (see checkMembers). */
export function checkArgs(specs: readonly ArgSpec[], args: JsonObject): Args {
  return checkMembers(specs, args, '');
}

/** Checked arguments, read by type; a getter throws if the value has another type (a table mistake). */
export class Args {
  constructor(private readonly values: ReadonlyMap<string, ArgValue>) {}

  private get<V extends ArgValue>(name: string, is: (v: ArgValue) => v is V): V | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (!is(v)) throw new TypeError(`argument ${name} has another type`);
    return v;
  }

  /** An optional integer. */
  optInt(name: string): bigint | undefined {
    return this.get(name, (v): v is bigint => typeof v === 'bigint');
  }

  /** A mandatory integer. */
  int(name: string): bigint {
    return required(name, this.optInt(name));
  }

  /** An optional list of structs, each as its checked members. */
  optStructList(name: string): Args[] | undefined {
    return this.get(name, (v): v is readonly Args[] => Array.isArray(v) && v.every((item) => item instanceof Args))?.slice();
  }

  /** An optional string. */
  optStr(name: string): string | undefined {
    return this.get(name, (v): v is string => typeof v === 'string');
  }

  /** A mandatory string. */
  str(name: string): string {
    return required(name, this.optStr(name));
  }

  /** An optional list of strings. */
  optStrList(name: string): string[] | undefined {
    return this.get(name, (v): v is readonly string[] => Array.isArray(v) && v.every((item) => typeof item === 'string'))?.slice();
  }

  /** An optional boolean. */
  optBool(name: string): boolean | undefined {
    return this.get(name, (v): v is boolean => typeof v === 'boolean');
  }

  /** A mandatory boolean. */
  bool(name: string): boolean {
    return required(name, this.optBool(name));
  }

  /** An optional integer-or-enum alternate. */
  optIntOrStr(name: string): bigint | string | undefined {
    return this.get(name, (v): v is bigint | string => typeof v === 'bigint' || typeof v === 'string');
  }

  /** An optional boolean-or-enum alternate. */
  optBoolOrStr(name: string): boolean | string | undefined {
    return this.get(name, (v): v is boolean | string => typeof v === 'boolean' || typeof v === 'string');
  }
}

function required<V>(name: string, v: V | undefined): V {
  if (v === undefined) throw new TypeError(`argument ${name} is missing`);
  return v;
}
