import type { Port } from '../../../src/transport/port.js';
import type { LineChannel } from './line-channel.js';

/** A file's owner and permission bits in the guest. */
export interface GuestStat {
  uid: number;
  gid: number;
  mode: number;
  size: number;
}

/** A file system's block counts in the guest (statfs). */
export interface GuestStatfs {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/** A program the probe ran in the guest. */
export interface GuestRun {
  status: number | null;
  stdout: string;
  /** Standard output and error together. */
  output: string;
}

/** A network interface in the guest. */
export interface GuestInterface {
  name: string;
  mac: string;
  addresses: { address: string; family: 'IPv4' | 'IPv6'; prefix: number }[];
}

/** Asks the guest probe (probe.mjs) for the guest's real state, one question a line on its port. */
export class ProbeQuestions {
  private nextId = 1;

  /** Questions on the probe's open `port`, answers read from `lines` (a LineChannel on the same port). */
  constructor(
    private readonly port: Port,
    private readonly lines: LineChannel,
  ) {}

  /** The answer to one question; rejects when the probe reports an error. */
  async ask<T>(verb: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    const since = this.lines.lines.length;
    await this.port.write(Buffer.from(`ask ${id} ${verb} ${JSON.stringify(args)}\n`));
    const match = await this.lines.find(new RegExp(`^answer ${id} (.*)$`), since, timeoutMs);
    const answer = JSON.parse(match[1] ?? '{}') as T & { error?: string };
    if (answer.error !== undefined) throw new Error(`the probe could not answer ${verb} ${JSON.stringify(args)}: ${answer.error}`);
    return answer;
  }

  /** A file's bytes. */
  async read(path: string): Promise<Buffer> {
    return Buffer.from((await this.ask<{ base64: string }>('read', { path })).base64, 'base64');
  }

  /** A file's text. */
  async text(path: string): Promise<string> {
    return (await this.read(path)).toString('utf8');
  }

  /** A file's owner and mode. */
  stat(path: string): Promise<GuestStat> {
    return this.ask<GuestStat>('stat', { path });
  }

  /** The block counts of the file system holding `path`. */
  statfs(path: string): Promise<GuestStatfs> {
    return this.ask<GuestStatfs>('statfs', { path });
  }

  /** Runs a program (argument vector, no shell, 30 s at most) and reports how it ended. */
  run(...argv: string[]): Promise<GuestRun> {
    return this.ask<GuestRun>('run', { argv });
  }

  /** The standard output of a program that must succeed. */
  async output(...argv: string[]): Promise<string> {
    const result = await this.run(...argv);
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited with ${result.status} in the guest:\n${result.output}`);
    return result.stdout;
  }

  /** Whether a write to the file `path` finishes within 3 s (false while its file system is frozen). */
  async writable(path: string): Promise<boolean> {
    return (await this.ask<{ writable: boolean }>('writable', { path })).writable;
  }

  /** Opens a virtio port in the guest for the host to talk on through the probe (the agent stopped). */
  async rawOpen(path: string): Promise<void> {
    await this.ask('raw-open', { path });
  }

  /** Writes bytes to the port opened by rawOpen. */
  async rawWrite(bytes: Buffer): Promise<void> {
    await this.ask('raw-write', { base64: bytes.toString('base64') });
  }

  /** What arrived on the port opened by rawOpen within `ms`, and whether its host side was gone at the end. */
  async rawRead(ms: number): Promise<{ bytes: Buffer; hostAbsent: boolean }> {
    const answer = await this.ask<{ base64: string; hostAbsent: boolean }>('raw-read', { ms }, ms + 60_000);
    return { bytes: Buffer.from(answer.base64, 'base64'), hostAbsent: answer.hostAbsent };
  }

  /** Closes the port opened by rawOpen. */
  async rawClose(): Promise<void> {
    await this.ask('raw-close');
  }

  /** The network interfaces with their MAC and IP addresses. */
  async interfaces(): Promise<GuestInterface[]> {
    return (await this.ask<{ interfaces: GuestInterface[] }>('net')).interfaces;
  }
}
