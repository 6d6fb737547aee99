// Bundles the agent for the package: `node packaging/bundle.mjs OUTDIR` writes OUTDIR/cli.js, the
// entry of every role, and beside it one file per piece loaded later (the guest-agent side, winston,
// the session helper's modules, the D-Bus client: esbuild keeps each dynamic import() a separate
// file, loaded when the code asks for it). A process then reads a handful of files at start instead
// of a hundred modules and their package.json lookups: less start-up time and memory.
// Everything lands in OUTDIR itself, so that paths relative to a file (a worker's script, the
// package.json above) mean the same from every piece. The native addons stay in node_modules.
// Prints the folder of each npm package bundled, one a line (their licenses go with the package).
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dependencies with native addons: they load their .node files relative to their own folder, and stay packages in node_modules. */
const NATIVE = ['koffi', '@serialport/bindings-cpp'];

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node packaging/bundle.mjs OUTDIR');
const src = fileURLToPath(new URL('../src/', import.meta.url));

const { metafile } = await build({
  entryPoints: {
    cli: `${src}cli.ts`,
    // Scripts started by path (a worker thread, a child process), beside the code that starts them.
    'fstrim-worker': `${src}actions/admin/fstrim-worker.ts`,
    'fsfreeze-worker': `${src}actions/admin/fsfreeze-worker.ts`,
    'hotplug-worker': `${src}actions/admin/hotplug-worker.ts`,
    'authorized-keys-child': `${src}actions/admin/authorized-keys-child.ts`,
    'exec-bytes-child': `${src}actions/admin/exec-bytes-child.ts`,
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // x11 and usocket are dbus-next's optional dependencies, not installed, required only on
  // demand or inside a try.
  external: [...NATIVE, 'x11', 'usocket'],
  // The CommonJS libraries bundled here (winston, dbus-next) call require() for Node's modules.
  banner: { js: "import { createRequire as vdagentRequire } from 'node:module'; const require = vdagentRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const packages = Object.keys(metafile.inputs).flatMap((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []);
for (const dir of new Set(packages)) process.stdout.write(`${resolve(dir)}\n`);
