import { JsonFloat, type JsonValue } from './json.js';

/**
 * Heap bytes one parsed node takes on V8 (Node 20), measured and rounded up: a Map is costly even
 * when empty, which is why a value's text says little about its memory (`[{},{},…]` takes some
 * 65 times its length). Containers are charged per member as members arrive.
 */
export const NODE_COST = {
  /** An empty object (a Map with its initial hash table). */
  object: 192,
  /** Each member of an object beyond the table's first few, averaged over growth. */
  member: 32,
  /** An empty array. */
  array: 48,
  /** Each array item, with room for growth (the first one allocates a 17-slot backing store). */
  item: 16,
  /** A string's header; its characters come on top. */
  string: 24,
  /** A number that is not a small integer, a bigint or a JsonFloat. */
  number: 48,
} as const;

/**
 * Estimated heap bytes of a scalar value (the slot holding it is charged to its container). A
 * string is charged two bytes a character unless its token was plain ASCII.
 */
export function scalarCost(value: JsonValue, plain: boolean): number {
  if (typeof value === 'string') return NODE_COST.string + value.length * (plain ? 1 : 2);
  if (typeof value === 'bigint' || value instanceof JsonFloat) return NODE_COST.number;
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 0 : NODE_COST.number;
  return 0;
}
