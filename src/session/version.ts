import { installedPackageVersion } from '../platform/installation.js';

/**
 * The number of the daemon ↔ helper channel's protocol: the frames of channel.ts and the messages
 * of ipc.ts. Raise it whenever either changes what a frame or a message means. The hello that
 * carries it never changes: `{kind: 'hello', version: {package, channel}}`, so every version of
 * the daemon reads every version of the helper's first message.
 */
export const CHANNEL_PROTOCOL = 1;

/** The environment variable in which the daemon tells the helper its version ({@link formatVersion}). */
export const DAEMON_VERSION_ENV = 'VDAGENT_DAEMON_VERSION';

/**
 * What each of the two processes says it is. A daemon and a helper trust each other only when
 * both parts are equal: `package` because they are two halves of one build (the daemon's gates
 * and the helper's modules are only tested together), `channel` because a development build keeps
 * its package version while the channel changes.
 */
export interface ProgramVersion {
  /** The version in the package.json of the installation the process's code came from. */
  package: string;
  /** {@link CHANNEL_PROTOCOL} of that code. */
  channel: number;
}

/** The version of the installation this code was loaded from, reading its package.json now. */
export function installedVersion(): ProgramVersion {
  return { package: installedPackageVersion(), channel: CHANNEL_PROTOCOL };
}

/** A version as one word, e.g. `0.2.0/1` (package, then channel protocol). */
export function formatVersion(version: ProgramVersion | undefined): string {
  return version ? `${version.package}/${version.channel}` : 'none';
}

/** The version a peer reported, if it has the hello's shape (a bounded string and a whole number). */
export function reportedVersion(value: unknown): ProgramVersion | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.package !== 'string' || v.package.length > 64 || !Number.isSafeInteger(v.channel)) return undefined;
  return { package: v.package, channel: v.channel as number };
}

/** Why a helper is not trusted: it reported another version, or none (a helper from before the exchange). */
export type HelperVersionCode = 'OtherVersion' | 'NoVersion';

/** A helper whose version is not the daemon's: it is stopped before its channel is used. */
export class HelperVersionError extends Error {
  override readonly name = 'HelperVersionError';

  constructor(
    readonly code: HelperVersionCode,
    /** The daemon's version. */
    readonly expected: ProgramVersion,
    /** What the helper reported (undefined: nothing usable). */
    readonly reported: ProgramVersion | undefined,
  ) {
    super(`${code}: the helper is ${formatVersion(reported)}, the daemon ${formatVersion(expected)}`);
  }
}

/** Whether a helper that reported `reported` in its hello may serve a daemon of version `expected`: the error when not. */
export function checkHelperVersion(expected: ProgramVersion, reported: unknown): HelperVersionError | undefined {
  const version = reportedVersion(reported);
  if (!version) return new HelperVersionError('NoVersion', expected, undefined);
  if (version.package !== expected.package || version.channel !== expected.channel) return new HelperVersionError('OtherVersion', expected, version);
  return undefined;
}
