import type { SeededRandom } from './seeded-random.js';

/**
 * Requests of commands that only read (or are always there): a fuzzer may call any of them any
 * number of times. Mutations can only reach commands an actions.d enables; tests enable no
 * action that changes the guest.
 */
const REQUESTS = [
  '{"execute":"guest-ping"}',
  '{"execute":"guest-sync","arguments":{"id":12345}}',
  '{"execute":"guest-sync-delimited","arguments":{"id":-1}}',
  '{"execute":"guest-info"}',
  '{"execute":"guest-get-time"}',
  '{"execute":"guest-get-host-name"}',
  '{"execute":"guest-get-timezone"}',
  '{"execute":"guest-get-osinfo"}',
  '{"execute":"guest-ping","arguments":{"a":[1,2.5e300,-0,"\\u00e9\\ud83d\\ude00",true,null,{"b":{}}]}}',
  '{"execute":"guest-exec-status","arguments":{"pid":1}}',
  '{"execute":"guest-file-read","arguments":{"handle":1000,"count":99999999999}}',
  '{"execute":"no-such-command"}',
  '[{},{},{},{},{},{},{},{}]',
  '"just a string"',
  '123456789012345678901234567890',
];
/** Bytes that mean something to a JSON lexer, or to the guest-agent framing (0xFF resets it). */
const TOKENS = ['{', '}', '[', ']', '"', '\\', ',', ':', '\\u', '\\ud800', '0', '-', 'e', '1e999', 'true', 'null', '\n', '\xff', '\x00', '\x80', '\xc3'];

/** Mutated QEMU guest-agent JSON requests, as raw bytes. */
export class QgaStreamMutator {
  constructor(private readonly rng: SeededRandom) {}

  /** About `size` bytes of requests, most of them mutated. */
  segment(size: number): Buffer {
    const parts: Buffer[] = [];
    let length = 0;
    while (length < size) {
      const request = Buffer.from(this.mutate(this.rng.pick(REQUESTS)), 'latin1');
      parts.push(request);
      length += request.length;
    }
    return Buffer.concat(parts);
  }

  private mutate(request: string): string {
    const rng = this.rng;
    let text = request;
    if (rng.chance(0.1)) {
      // Deep nesting, mostly balanced (each stray closing bracket is a request answered on its own).
      const depth = rng.int(1, 2000);
      text = `${'['.repeat(depth)}${text}${']'.repeat(rng.chance(0.8) ? depth : rng.int(0, depth + 3))}`;
    }
    for (let n = rng.chance(0.2) ? 0 : rng.int(1, 3); n > 0; n--) {
      const at = rng.int(0, text.length);
      switch (rng.int(0, 4)) {
        case 0: // flip a byte
          text = text.slice(0, at) + String.fromCharCode(rng.int(0, 255)) + text.slice(at + 1);
          break;
        case 1: // insert a token
          text = text.slice(0, at) + rng.pick(TOKENS) + text.slice(at);
          break;
        case 2: // delete a range
          text = text.slice(0, at) + text.slice(at + rng.int(1, 8));
          break;
        case 3: // repeat a range
          text = text.slice(0, at) + text.slice(at, at + rng.int(1, 16)).repeat(rng.int(2, 50)) + text.slice(at);
          break;
        default: // cut short
          text = text.slice(0, at);
      }
    }
    return text;
  }
}
