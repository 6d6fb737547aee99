import { encodeJson, JsonStreamParser, type ParseEvent, type ParserLimits } from '../../../src/qga/index.js';

/** Events as text: each value in qemu-ga's encoding, each error as `error: desc`. */
export function describeEvents(events: ParseEvent[]): string[] {
  return events.map((e) => (e.kind === 'value' ? encodeJson(e.value) : `error: ${e.error.desc}`));
}

/** Parses one input (a latin1 string of bytes) in one feed, returning the described events. */
export function parse(input: string, limits?: ParserLimits): string[] {
  return describeEvents(new JsonStreamParser(limits).feed(Buffer.from(input, 'latin1')));
}
