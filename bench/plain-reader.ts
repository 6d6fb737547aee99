import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClientSimulator } from '../src/sim/simulator.js';
import type { Port } from '../src/transport/port.js';
import { writeFileData } from './file-data-writer.js';

/** A port's own ceiling for one transfer from the bench's writer, and how the reader got it. */
export interface Ceiling {
  ms: number;
  /** Mean bytes per read of the reader. */
  bytesPerRead: number;
}

/** A plain reader process (bench/pty-reader.ts, bench/socket-reader.ts) of the guest's end at `path`: it prints 'ready', then its count once the host's end closes. */
export class PlainReader {
  readonly child: ChildProcess;
  private out = '';
  private readonly exited: Promise<unknown>;

  constructor(script: string, path: string) {
    this.child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', r));
  }

  /**
   * Once the reader is ready: the bench's host writer (writeFileData through the client simulator
   * on `port`, as for the agents) sends `size` bytes; `closeHost` closes the host's end, and the
   * reader is done when it has read everything and exited.
   */
  async time(port: Port, size: number, closeHost: () => Promise<void>): Promise<Ceiling> {
    while (!this.out.includes('ready\n')) await new Promise((r) => setTimeout(r, 5));
    const sim = new ClientSimulator(port, { autoFlow: false });
    const t0 = performance.now();
    await writeFileData(sim, 1, size);
    // The writes resolved once the kernel took them.
    await closeHost();
    await this.exited;
    const ms = performance.now() - t0;
    const { bytes, reads } = JSON.parse(this.out.split('\n')[1] as string) as { bytes: number; reads: number };
    return { ms, bytesPerRead: bytes / reads };
  }

  /** Stops the reader if it still runs. */
  kill(): void {
    this.child.kill();
  }
}
