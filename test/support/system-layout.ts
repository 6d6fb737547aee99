import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stand-in for the parts of /sys that the hot-plug and suspend commands write, and for the
 * programs suspend runs, so that neither agent offlines a processor or suspends this machine:
 * `cpu/` (for /sys/devices/system/cpu), `memory/` (for /sys/devices/system/memory), `power/` (for
 * /sys/power) and `bin/` (the only PATH), with systemctl and pm-utils programs that log their
 * arguments to `calls` and exit with the status a test stores in `status/<program>-<first argument>`
 * (4 for systemctl status, 1 for pm-is-supported, 0 otherwise). The programs use shell builtins
 * only: PATH names nothing else.
 */
export class SystemLayout {
  constructor(readonly root: string) {
    for (const d of ['cpu', 'memory', 'power', 'bin', 'status']) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
    const program = (name: string, fallback: number): void => {
      const path = join(root, 'bin', name);
      writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${root}/calls"\nf="${root}/status/${name}-$1"\n[ -f "$f" ] && read -r s < "$f" && exit "$s"\nexit ${fallback}\n`);
      chmodSync(path, 0o755);
    };
    program('systemctl', 0);
    program('pm-is-supported', 1);
    for (const pm of ['pm-suspend', 'pm-hibernate', 'pm-suspend-hybrid']) program(pm, 0);
    writeFileSync(join(root, 'status', 'systemctl-status'), '4\n');
  }

  /** Logical processors: id → the content of `online`, or null for none (like cpu0 on x86). */
  cpus(cpus: Record<number, string | null>): void {
    for (const [id, online] of Object.entries(cpus)) {
      mkdirSync(join(this.root, 'cpu', `cpu${id}`), { recursive: true });
      if (online !== null) writeFileSync(join(this.root, 'cpu', `cpu${id}`, 'online'), online);
    }
  }

  /** Memory blocks: index → the content of `state`, or null for none. */
  memory(blocks: Record<number, string | null>): void {
    writeFileSync(join(this.root, 'memory', 'block_size_bytes'), '8000000\n');
    for (const [index, state] of Object.entries(blocks)) {
      mkdirSync(join(this.root, 'memory', `memory${index}`), { recursive: true });
      if (state !== null) writeFileSync(join(this.root, 'memory', `memory${index}`, 'state'), state);
    }
  }

  /** What the kernel offers in /sys/power/state. */
  powerState(text: string): void {
    writeFileSync(join(this.root, 'power', 'state'), text);
  }

  /** The exit status a fake program gives for its first argument. */
  exits(program: string, firstArg: string, status: number): void {
    writeFileSync(join(this.root, 'status', `${program}-${firstArg}`), `${status}\n`);
  }

  /** The fake programs' calls so far, one `name args` line each, and forgets them. */
  takeCalls(): string[] {
    let text = '';
    try {
      text = readFileSync(join(this.root, 'calls'), 'utf8');
    } catch {
      return [];
    }
    writeFileSync(join(this.root, 'calls'), '');
    return text.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  /** A file of the layout, as text. */
  read(path: string): string {
    return readFileSync(join(this.root, path), 'latin1');
  }

  /** The environment to run an agent with: PATH holds only the fake programs. */
  get env(): NodeJS.ProcessEnv {
    return { PATH: join(this.root, 'bin') };
  }

  /** Where prefix() mounts the layout's directories, in its agent's own mount table only. */
  static readonly MOUNTED = ['/sys/devices/system/cpu', '/sys/devices/system/memory', '/sys/power'] as const;

  /**
   * A command prefix running an agent in a private mount namespace where the layout's directories
   * are mounted over the real ones (`power/` read-only when asked); the agent starts only if every
   * mount succeeded. Needs root.
   */
  prefix(options: { readOnlyPower?: boolean } = {}): string[] {
    const script = [
      '/bin/mount --bind "$0/cpu" /sys/devices/system/cpu',
      '/bin/mount --bind "$0/memory" /sys/devices/system/memory',
      '/bin/mount --bind "$0/power" /sys/power',
      ...(options.readOnlyPower ? ['/bin/mount -o remount,bind,ro /sys/power'] : []),
      'exec "$@"',
    ].join(' && ');
    return ['/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, this.root];
  }
}
