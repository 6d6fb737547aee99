import type { Logger } from '../log/logger.js';
import { JsonStreamParser, type ParseEvent } from '../qga/index.js';

/** Bounds of the request queue and of the input held back while it is full. */
export interface IntakeLimits {
  /** Parsed requests waiting for the worker. */
  maxItems: number;
  /** Estimated heap bytes of the waiting requests and errors (one request larger than this alone). */
  maxBytes: number;
  /** Raw input held unparsed while the queue is full (for a port that cannot pause). */
  maxHeld: number;
}

/** The bounds the QGA daemon uses: a worker that is behind holds at most some 16 MiB of requests. */
export const INTAKE_LIMITS: Readonly<IntakeLimits> = { maxItems: 256, maxBytes: 16 * 1024 * 1024, maxHeld: 4 * 1024 * 1024 };

/**
 * Input is parsed in slices of this size, whatever the room left, so large requests parse at speed.
 * What a slice yields past the room waits for it, parsing stopped: at most SLICE + 1 events (one
 * per token, each token ending in the slice, one of them perhaps begun before it).
 */
const SLICE = 4096;

/** Reading control of the port (a Port has it); without it, input is held instead (up to `maxHeld`). */
interface Pausable {
  pause?: () => void;
  resume?: () => void;
}

/**
 * The guest agent's input side: bytes to the JSON stream parser, parsed requests and errors to a
 * queue bounded exactly in items and bytes (one request larger than `maxBytes` goes in alone). What a
 * slice yields past the room waits for it, and parsing stops; meanwhile input stays unparsed and the port is paused
 * (back-pressure: the host's writes block); a port that cannot pause has its input held up to
 * `maxHeld`, past which it is dropped with a log line.
 */
export class RequestIntake {
  private readonly parser = new JsonStreamParser();
  private readonly queue: ParseEvent[] = [];
  private queuedBytes = 0;
  /** Events of the last slice parsed that did not fit yet, from `waitingAt` on. */
  private waiting: ParseEvent[] = [];
  private waitingAt = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private paused = false;

  constructor(
    private readonly port: Pausable & { readonly name: string },
    private readonly log: Logger,
    /** Called for each value parsed (the port carries a valid stream). */
    private readonly healthy: () => void,
    private readonly limits: Readonly<IntakeLimits> = INTAKE_LIMITS,
  ) {}

  /** Requests waiting. */
  get length(): number {
    return this.queue.length;
  }

  /** Estimated heap bytes of the requests and errors waiting. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Takes bytes from the port. */
  push(chunk: Buffer): void {
    const rest = this.heldBytes > 0 ? chunk : this.parse(chunk);
    if (rest) this.hold(rest);
  }

  /** The next request for the worker, parsing held input as room frees up. */
  next(): ParseEvent | undefined {
    const event = this.queue.shift();
    if (event) this.queuedBytes -= event.size;
    this.refill();
    return event;
  }

  /** Forgets queued requests and held input (the daemon stops). */
  clear(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.waiting = [];
    this.waitingAt = 0;
    this.reset();
  }

  /** Forgets partial and held input (the port went down); parsed requests stay queued. */
  reset(): void {
    this.parser.reset();
    this.held = [];
    this.heldBytes = 0;
    this.setPaused(false);
  }

  /** Whether no event would fit: then input stays unparsed. */
  private get full(): boolean {
    return this.queue.length >= this.limits.maxItems || this.queuedBytes >= this.limits.maxBytes;
  }

  /** Whether the event fits the bounds; into an empty queue anything does. */
  private fits(event: ParseEvent): boolean {
    if (this.queue.length === 0) return true;
    return this.queue.length < this.limits.maxItems && this.queuedBytes + event.size <= this.limits.maxBytes;
  }

  /** Moves waiting events into the queue while they fit; answers whether none is left waiting. */
  private admit(): boolean {
    while (this.waitingAt < this.waiting.length) {
      const event = this.waiting[this.waitingAt] as ParseEvent;
      if (!this.fits(event)) return false;
      this.queue.push(event);
      this.queuedBytes += event.size;
      this.waitingAt++;
    }
    this.waiting = [];
    this.waitingAt = 0;
    return true;
  }

  /** Parses a chunk slice by slice until the queue is full or events wait for room; answers the rest, if any. */
  private parse(chunk: Buffer): Buffer | undefined {
    for (let at = 0; at < chunk.length; at += SLICE) {
      if (!this.admit() || this.full) return chunk.subarray(at);
      this.waiting = this.parser.feed(chunk.subarray(at, at + SLICE));
      for (const event of this.waiting) if (event.kind === 'value') this.healthy();
    }
    this.admit();
    return undefined;
  }

  private hold(chunk: Buffer): void {
    if (this.heldBytes + chunk.length > this.limits.maxHeld) {
      this.log.warn(`${this.port.name}: the host sends requests faster than they are answered; input dropped`);
      return;
    }
    this.held.push(Buffer.from(chunk));
    this.heldBytes += chunk.length;
    this.setPaused(true);
  }

  private refill(): void {
    while (this.admit() && !this.full && this.held.length > 0) {
      const chunk = this.held.shift() as Buffer;
      this.heldBytes -= chunk.length;
      const rest = this.parse(chunk);
      if (rest) {
        this.held.unshift(rest);
        this.heldBytes += rest.length;
      }
    }
    if (this.heldBytes === 0) this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) this.port.pause?.();
    else this.port.resume?.();
  }
}
