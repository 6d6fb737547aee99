import { TokenBytes } from './token-bytes.js';

/** Kinds of token the lexer hands on. */
export enum TokenType {
  LCurly,
  RCurly,
  LSquare,
  RSquare,
  Colon,
  Comma,
  Integer,
  Float,
  Keyword,
  String,
  /** A byte no token may continue with; the text holds the token so far and that byte. */
  Error,
  /** A token grew past the size budget; its text was dropped. */
  TooLong,
}

/** One token. `plain` says a string token holds only printable ASCII and no escapes. */
export interface Token {
  type: TokenType;
  text: Buffer;
  plain: boolean;
}

/** Where tokens go, and how many bytes the token in progress may still take. */
export interface TokenSink {
  token(token: Token): void;
  budget(): number;
}

enum State {
  Start,
  Recovery,
  DqString,
  DqEscape,
  SqString,
  SqEscape,
  Zero,
  Sign,
  Digits,
  Mantissa,
  MantissaDigits,
  ExpE,
  ExpSign,
  ExpDigits,
  Keyword,
}

const SINGLE: Readonly<Record<number, TokenType>> = {
  0x7b: TokenType.LCurly,
  0x7d: TokenType.RCurly,
  0x5b: TokenType.LSquare,
  0x5d: TokenType.RSquare,
  0x3a: TokenType.Colon,
  0x2c: TokenType.Comma,
};

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
/** A byte a string may hold unescaped: 0x20..0xFD. */
const inString = (b: number): boolean => b >= 0x20 && b <= 0xfd;
/** Per byte inside a string quoted by `quote`: 0 printable ASCII, 1 other byte allowed, 2 ends the run. */
const stringTable = (quote: number): Uint8Array =>
  new Uint8Array(256).map((_, b) => (b === quote || b === 0x5c || !inString(b) ? 2 : b >= 0x80 ? 1 : 0));
const DQ_STRING = stringTable(0x22);
const SQ_STRING = stringTable(0x27);
/** Where error recovery stops: structural characters, control characters but tab, 0xFE and 0xFF. */
const ENDS_RECOVERY = new Uint8Array(256).map((_, b) => Number((b < 0x20 && b !== 0x09) || b >= 0xfe || SINGLE[b] !== undefined));

/**
 * The JSON lexer of QEMU's guest agent, as a byte state machine: QEMU's extensions (single-quoted
 * strings, `\'`), no newline framing. After an error it skips input up to a structural character,
 * a control character, 0xFE or 0xFF (which is how a 0xFF byte resynchronises the stream). A token
 * longer than the sink's budget is refused while it grows, never buffered whole.
 */
export class JsonLexer {
  private state = State.Start;
  /** The bytes of a token begun in an earlier chunk. */
  private pending: TokenBytes | undefined;
  private plain = true;

  constructor(private readonly sink: TokenSink) {}

  /** Forgets the token in progress and starts afresh. */
  reset(): void {
    this.state = State.Start;
    this.drop();
  }

  /** Lexes a chunk of input; tokens reach the sink as they complete. */
  feed(chunk: Uint8Array): void {
    const n = chunk.length;
    // Where the token in progress starts in this chunk (0 when it began in an earlier one).
    let start = 0;
    let i = 0;
    const text = (end: number): Buffer => {
      const tail = chunk.subarray(start, end);
      if (!this.pending) return Buffer.from(tail);
      const head = this.pending.bytes();
      return Buffer.concat([head, tail], head.length + tail.length);
    };
    const emit = (type: TokenType, end: number): void => {
      if (this.pendingLength + end - start > this.sink.budget()) return this.overflow();
      const token = { type, text: text(end), plain: this.plain };
      this.drop();
      this.state = type === TokenType.Error ? State.Recovery : State.Start;
      this.sink.token(token);
    };
    /** Moves to `state` past the current byte. */
    const next = (state: State): void => {
      this.state = state;
      i++;
    };
    while (i < n) {
      const b = chunk[i] as number;
      switch (this.state) {
        case State.Start: {
          if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) {
            i++;
            continue;
          }
          const single = SINGLE[b];
          start = i;
          this.plain = true;
          if (single !== undefined) emit(single, ++i);
          else if (b === 0x22) next(State.DqString);
          else if (b === 0x27) next(State.SqString);
          else if (b === 0x30) next(State.Zero);
          else if (isDigit(b)) next(State.Digits);
          else if (b === 0x2d) next(State.Sign);
          else if (b >= 0x61 && b <= 0x7a) next(State.Keyword);
          else emit(TokenType.Error, ++i);
          continue;
        }
        case State.Recovery:
          while (i < n && ENDS_RECOVERY[chunk[i] as number] === 0) i++;
          if (i < n) this.state = State.Start;
          continue;
        case State.DqString:
        case State.SqString: {
          const table = this.state === State.DqString ? DQ_STRING : SQ_STRING;
          let kind = 0;
          while (i < n && (kind = table[chunk[i] as number] as number) !== 2) {
            if (kind === 1) this.plain = false;
            i++;
          }
          if (i === n) continue;
          const c = chunk[i] as number;
          if (c === (this.state === State.DqString ? 0x22 : 0x27)) emit(TokenType.String, ++i);
          else if (c === 0x5c) {
            this.plain = false;
            next(this.state === State.DqString ? State.DqEscape : State.SqEscape);
          } else emit(TokenType.Error, ++i);
          continue;
        }
        case State.DqEscape:
        case State.SqEscape:
          if (inString(b)) next(this.state === State.DqEscape ? State.DqString : State.SqString);
          else emit(TokenType.Error, ++i);
          continue;
        case State.Zero:
          if (isDigit(b)) emit(TokenType.Error, ++i);
          else if (b === 0x2e) next(State.Mantissa);
          else emit(TokenType.Integer, i);
          continue;
        case State.Sign:
          if (b === 0x30) next(State.Zero);
          else if (isDigit(b)) next(State.Digits);
          else emit(TokenType.Error, ++i);
          continue;
        case State.Digits:
          if (isDigit(b)) i++;
          else if (b === 0x2e) next(State.Mantissa);
          else if (b === 0x65 || b === 0x45) next(State.ExpE);
          else emit(TokenType.Integer, i);
          continue;
        case State.Mantissa:
        case State.ExpSign:
          if (isDigit(b)) next(this.state === State.Mantissa ? State.MantissaDigits : State.ExpDigits);
          else emit(TokenType.Error, ++i);
          continue;
        case State.MantissaDigits:
          if (isDigit(b)) i++;
          else if (b === 0x65 || b === 0x45) next(State.ExpE);
          else emit(TokenType.Float, i);
          continue;
        case State.ExpE:
          if (b === 0x2d || b === 0x2b) next(State.ExpSign);
          else if (isDigit(b)) next(State.ExpDigits);
          else emit(TokenType.Error, ++i);
          continue;
        case State.ExpDigits:
          if (isDigit(b)) i++;
          else emit(TokenType.Float, i);
          continue;
        case State.Keyword:
          if (b >= 0x61 && b <= 0x7a) i++;
          else emit(TokenType.Keyword, i);
          continue;
      }
    }
    if (this.state === State.Start || this.state === State.Recovery) return;
    // The token goes on in the next chunk: keep a copy of its piece, within the budget (which
    // stays as it is until the token ends: no other token completes meanwhile).
    const budget = this.sink.budget();
    if (this.pendingLength + n - start > budget) return this.overflow();
    this.pending ??= new TokenBytes(budget);
    this.pending.add(chunk.subarray(start, n));
  }

  private get pendingLength(): number {
    return this.pending?.length ?? 0;
  }

  private overflow(): void {
    this.drop();
    this.state = State.Recovery;
    this.sink.token({ type: TokenType.TooLong, text: Buffer.alloc(0), plain: true });
  }

  private drop(): void {
    this.pending = undefined;
  }
}
