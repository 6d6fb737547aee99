/** What the receiver must do after an error (zwave-js style severity groups). */
export enum Severity {
  /** The chunk framing is intact: drop this message and go on with the next. */
  Drop = 'drop',
  /** The chunk framing is lost: discard all state and reopen the stream. */
  Resync = 'resync',
}

/** Error codes of the protocol layer; the hundreds tell the severity group. */
export enum ErrorCode {
  // --- 1xx: drop this message ---
  /** VDAgentMessage.protocol is not 1. */
  BadProtocolVersion = 100,
  /** The message type is 0 or at least VD_AGENT_END_MESSAGE. */
  UnknownMessageType = 101,
  /** The payload size breaks the type's size rule (spec §5.1). */
  BadPayloadSize = 102,
  /** The declared payload is larger than the configured ceiling. */
  MessageTooLarge = 103,
  /** A message stopped before its declared size and another one began. */
  MessageTruncated = 104,
  /** A field holds a value the type does not allow. */
  BadFieldValue = 105,
  /** A zero-size chunk (never produced by a real server); ignored. */
  EmptyChunk = 106,
  /** A message was refused because of the session's state (not a wire error). */
  NotAllowed = 107,
  /**
   * A message stopped short because its sender started over: a chunk that cannot continue it
   * begins a well-formed message (a new client after semi-seamless migration, spec §3.2).
   */
  MessageCut = 108,
  // --- 2xx: resync the stream ---
  /** VDIChunkHeader.port is neither 1 nor 2. */
  BadChunkPort = 200,
  /** VDIChunkHeader.size is larger than VD_AGENT_MAX_DATA_SIZE. */
  ChunkTooLarge = 201,
}

/** The one error type of the protocol layer. */
export class VdagentError extends Error {
  override readonly name = 'VdagentError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The message type concerned, when known. */
    readonly messageType?: number,
  ) {
    super(message);
  }

  /** Whether to drop one message or resync the stream. */
  get severity(): Severity {
    return this.code >= 200 ? Severity.Resync : Severity.Drop;
  }
}
