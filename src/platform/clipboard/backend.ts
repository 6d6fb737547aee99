import type { EventEmitter } from 'node:events';

/** A desktop selection the agent can follow: the explicit clipboard or the X11-style primary selection. */
export type SelectionName = 'clipboard' | 'primary';

/**
 * Data for a paste, produced on demand: the bytes, or null when they cannot be had (the peer
 * answered NONE, went away, or took too long).
 */
export type Provider = (target: string) => Promise<Buffer | null>;

/** Why a read of the local owner's data failed. */
export class ClipboardReadError extends Error {
  constructor(
    /** no-owner: nobody owns the selection; refused: the owner would not convert; too-large: over the limit; timeout; failed: anything else. */
    readonly code: 'no-owner' | 'refused' | 'too-large' | 'timeout' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'ClipboardReadError';
  }
}

/** Events of a {@link ClipboardBackend}. */
export interface ClipboardBackendEvents {
  /**
   * A local application took a selection (targets: the MIME types or X11 target names it offers)
   * or gave it up without a new owner (targets: null). The backend's own claims are not reported.
   */
  owner: [selection: SelectionName, targets: readonly string[] | null];
}

/**
 * The seam to a desktop's clipboard (X11 selections, Wayland data control). The module speaks
 * VDAgent; a backend speaks targets and bytes.
 */
export interface ClipboardBackend extends EventEmitter<ClipboardBackendEvents> {
  /** The selections this desktop has. */
  readonly selections: readonly SelectionName[];
  /** Connects and starts reporting owners; the current owners are reported at once. */
  start(): Promise<void>;
  /** Reads the current local owner's data in one target, at most `limit` bytes. */
  read(selection: SelectionName, target: string, limit: number): Promise<Buffer>;
  /**
   * Takes the selection on behalf of the peer, offering these targets; `provide` is called when a
   * local application pastes (by demand; a backend that cannot wait may call it at once).
   */
  claim(selection: SelectionName, targets: readonly string[], provide: Provider): void;
  /** Gives up a selection this backend claimed (nothing happens if another owner took it since). */
  disown(selection: SelectionName): void;
  /** Disconnects; pending pastes get nothing. */
  close(): Promise<void>;
}
