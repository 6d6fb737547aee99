import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** An X server started for a test. */
export interface XServer {
  /** `:N`. */
  display: string;
  /** What an X client needs: DISPLAY, PATH. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts an X server that picks a free display and writes its number on descriptor 3 (`-displayfd 3`). */
async function startX(file: string, args: string[]): Promise<XServer> {
  const child: ChildProcess = spawn(file, ['-displayfd', '3', '-nolisten', 'tcp', '-noreset', ...args], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const number = await new Promise<string>((resolve, reject) => {
    let out = '';
    (child.stdio[3] as Readable).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  const display = `:${number}`;
  return {
    display,
    env: { DISPLAY: display, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Xvfb with a 4096×2160 framebuffer: RandR 1.2 with one output (`screen`) and one CRTC; modes
 * may be added and set up to the framebuffer's size. `-noreset` keeps created modes when the
 * last client leaves.
 */
export function startXvfb(): Promise<XServer> {
  return startX('Xvfb', ['-screen', '0', '4096x2160x24']);
}

/** Whether Xorg may be started here (it needs root, as CI has). */
export const canStartXorg = process.getuid?.() === 0;

/**
 * The real Xorg server with the dummy video driver: RandR 1.2 with 16 outputs (DUMMY0…DUMMY15),
 * DUMMY0 connected, screen up to 32767×32767. Needs root (as CI runs).
 */
export function startXorgDummy(dir: string): Promise<XServer> {
  const config = join(dir, 'xorg.conf');
  writeFileSync(
    config,
    ['Section "Device"', '  Identifier "dummy"', '  Driver "dummy"', '  VideoRam 256000', 'EndSection', 'Section "Screen"', '  Identifier "screen"', '  Device "dummy"', '  DefaultDepth 24', 'EndSection', ''].join('\n'),
  );
  // Share the current virtual terminal, never switch: a console on the machine stays as it is.
  return startX('Xorg', ['-config', config, '-logfile', join(dir, 'Xorg.log'), '-sharevts', '-novtswitch', '-keeptty']);
}
