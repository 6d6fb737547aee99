import { execFileSync } from 'node:child_process';
import { constants, closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An account database whose lookups of `held-…` names wait until released (see held-nss.c). */
export interface HeldAccounts {
  /** The environment to run an agent with: its NSS finds the module and its gate. */
  env: NodeJS.ProcessEnv;
  /** A command prefix running the agent in a private mount namespace whose nsswitch.conf adds the module for passwd. */
  prefix: string[];
  /** Lets the lookup waiting now go on (it finds nothing); none waiting is no error. */
  release(): void;
}

/** Compiles held-nss.c into `dir` (gcc) as libnss_held.so.2, with an nsswitch.conf and the gate FIFO beside it. Needs root. */
export function heldAccounts(dir: string): HeldAccounts {
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', join(dir, 'libnss_held.so.2'), fileURLToPath(new URL('./held-nss.c', import.meta.url))]);
  const conf = join(dir, 'nsswitch.conf');
  writeFileSync(conf, 'passwd: files held\ngroup: files\nshadow: files\n', { mode: 0o644 });
  const gate = join(dir, 'gate');
  execFileSync('mkfifo', [gate]);
  return {
    env: { LD_LIBRARY_PATH: dir, VDAGENT_TEST_NSS_GATE: gate },
    prefix: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /etc/nsswitch.conf && exec "$@"', conf],
    release() {
      try {
        closeSync(openSync(gate, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // No lookup waits (ENXIO: the FIFO has no reader).
      }
    },
  };
}
