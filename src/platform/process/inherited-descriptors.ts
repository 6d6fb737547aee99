import { readdirSync } from 'node:fs';
import { closeOnExec } from '../libc.js';

/**
 * Marks every open descriptor above the standard streams close-on-exec, so that what this process
 * inherited from a careless parent stays here and reaches no program it starts (GLib's spawn
 * closes them for qemu-ga's programs). Its own descriptors are close-on-exec already.
 */
export function keepInheritedDescriptors(): void {
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      closeOnExec(fd);
    } catch {
      // The listing's own descriptor, closed once it was read.
    }
  }
}
