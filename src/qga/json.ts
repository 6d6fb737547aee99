/** A JSON number that QEMU holds as a double: written with a fraction or exponent, or an integer beyond 64 bits. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

/** Bytes an answer carries as a base64 string (`buf-b64`, `out-data`): encoded part by part as the answer is written, never held as text. */
export class JsonBytes {
  constructor(readonly chunks: readonly Buffer[]) {}
}

/** A JSON object; a Map keeps member order and never confuses keys with prototype members. */
export type JsonObject = Map<string, JsonValue>;

/**
 * A JSON value as QEMU reads it. Integers are `number` when safe and `bigint` up to the signed and
 * unsigned 64-bit range; every other number is a JsonFloat. JsonBytes appear only in answers.
 */
export type JsonValue = null | boolean | string | number | bigint | JsonFloat | JsonBytes | JsonValue[] | JsonObject;

/** A JSON object from plain members, in their order; undefined members are left out. */
export function jsonObject(members: Record<string, JsonValue | undefined>): JsonObject {
  const map: JsonObject = new Map();
  for (const [key, value] of Object.entries(members)) if (value !== undefined) map.set(key, value);
  return map;
}

/** An integer as a JSON value: a number when it is safe, else a bigint. */
export function jsonInt(n: bigint | number): number | bigint {
  if (typeof n === 'number') return n;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
