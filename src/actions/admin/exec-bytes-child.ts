// The child that starts a guest-exec program whose arguments or environment hold a NUL, which
// Node's spawn cannot pass: it becomes the program (the same pid and standard streams) with each
// string in qemu-ga's modified UTF-8, a NUL written C0 80. Started with an empty environment, it
// takes the count of argument strings, then the argument strings (the first, argv[0], is the
// program run) and the environment strings, each as JSON. Descriptor 3 reports a failed execve:
// its errno, then exit 127; a successful one closes it. A file the kernel cannot run (ENOEXEC: no
// `#!`) is run by /bin/sh, as GLib's spawn and Node's spawn both do.
import { writeSync } from 'node:fs';
import { closeOnExec, execBytes } from '../../platform/libc.js';
import { modifiedUtf8 } from '../../qga/utf8.js';

const REPORT_FD = 3;
const [count, ...rest] = process.argv.slice(2);
const strings = rest.map((s) => modifiedUtf8(JSON.parse(s) as string));
const [program] = strings;
if (count === undefined || program === undefined) throw new Error('usage: exec-bytes-child COUNT ARGV… ENV…');
closeOnExec(REPORT_FD);
const [argv, envp] = [strings.slice(0, Number(count)), strings.slice(Number(count))];
const SHELL = Buffer.from('/bin/sh');
try {
  try {
    execBytes(program, argv, envp);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOEXEC') throw err;
    execBytes(SHELL, [SHELL, program, ...argv.slice(1)], envp);
  }
} catch (err) {
  writeSync(REPORT_FD, String(-((err as { errno?: number }).errno ?? 0)));
  process.exit(127);
}
