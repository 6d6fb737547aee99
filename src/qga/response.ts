import { answerParts, jsonPieces, smallJson } from './encode.js';
import type { QgaFault } from './errors.js';
import type { JsonValue } from './json.js';

/** The byte qemu-ga puts before guest-sync-delimited's answer so a host parser can resynchronise. */
export const SYNC_DELIMITER = 0xff;

/** Characters of an answer made in one part, in one go; a larger one is made part by part as it is written. */
const SMALL_ANSWER = 16 * 1024;

/** An answer of literal text and values: one part made at once when small, else parts made as they are asked for. */
function answer(template: readonly (string | { json: JsonValue })[]): Iterable<Buffer> {
  let room = SMALL_ANSWER;
  const texts: string[] = [];
  for (const item of template) {
    const text = typeof item === 'string' ? item : smallJson(item.json, room);
    if (text === undefined || (room -= text.length) < 0) return answerParts(pieces(template));
    texts.push(text);
  }
  return [Buffer.from(texts.join(''), 'latin1')];
}

/** The template's pieces, its values walked by jsonPieces. */
function* pieces(template: readonly (string | { json: JsonValue })[]): Generator<string | Buffer, void, undefined> {
  for (const item of template) {
    if (typeof item === 'string') yield item;
    else yield* jsonPieces(item.json);
  }
}

/** `{"return": …}` with the `id` echoed last, as qemu-ga 7.2 orders it, and a newline: the answer's bytes in parts, each made when asked for. */
export function encodeReturn(value: JsonValue, id: JsonValue | undefined): Iterable<Buffer> {
  return answer(id === undefined ? ['{"return": ', { json: value }, '}\n'] : ['{"return": ', { json: value }, ', "id": ', { json: id }, '}\n']);
}

/** `{"error": {"class", "desc"}}` with the `id` echoed first, as qemu-ga 7.2 orders it, and a newline: the answer's bytes in parts, each made when asked for. */
export function encodeError(error: QgaFault, id: JsonValue | undefined): Iterable<Buffer> {
  const fault = ['"error": {"class": ', { json: error.errorClass }, ', "desc": ', { json: error.desc }, '}}\n'];
  return answer(id === undefined ? ['{', ...fault] : ['{"id": ', { json: id }, ', ', ...fault]);
}
