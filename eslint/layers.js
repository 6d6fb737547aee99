// @ts-check
/**
 * The house plan: each folder of src/, its job, and the folders it may import — bottom layer first.
 * The lint rule in eslint/layer-rule.js enforces it and docs/architecture.md shows it.
 * @typedef {{ readonly folder: string, readonly job: string, readonly mayImport: readonly string[] }} Layer
 */

/** Every folder of src/ (and the one root file, cli.ts) with its job and its allowed imports. */
export const LAYERS = /** @type {const} @satisfies {readonly Layer[]} */ ([
  { folder: 'protocol', job: 'VDAgent wire format: pure codec of headers, messages and chunks', mayImport: [] },
  { folder: 'qga', job: 'QEMU guest-agent JSON framing, parsing and encoding, pure', mayImport: [] },
  { folder: 'log', job: 'the narrow Logger interface, flood control and the winston writer', mayImport: [] },
  { folder: 'platform', job: 'bindings to the guest OS: libc, uinput, DRM, display and clipboard backends', mayImport: ['log'] },
  { folder: 'transport', job: 'virtio ports: open, pause, flow control, discovery and supervision', mayImport: ['platform', 'log'] },
  { folder: 'desktop', job: 'one process\'s desktop state: display map and session layout', mayImport: ['protocol', 'platform'] },
  { folder: 'actions', job: 'the modules (mouse, clipboard, resolution, file transfer, admin) and their host', mayImport: ['protocol', 'qga', 'log', 'platform', 'desktop'] },
  { folder: 'agent', job: 'the SPICE agent connection: handshake, dispatch to modules, output queue', mayImport: ['protocol', 'log', 'actions'] },
  { folder: 'session', job: 'the per-user helper: logind sessions, D-Bus, IPC channel, bridge and runner', mayImport: ['protocol', 'log', 'platform', 'transport', 'desktop', 'actions'] },
  { folder: 'sim', job: 'a simulated SPICE host for the demo and tests', mayImport: ['protocol', 'transport'] },
  { folder: 'daemon', job: 'the SPICE and QGA daemons: a port, its supervisor and the modules behind it', mayImport: ['qga', 'log', 'transport', 'desktop', 'actions', 'agent', 'session'] },
  { folder: 'commands', job: 'composition roots: one function per CLI command wires the layers below', mayImport: ['protocol', 'log', 'platform', 'transport', 'desktop', 'actions', 'session', 'sim', 'daemon'] },
  { folder: 'cli.ts', job: 'the command line: parses arguments and runs a command', mayImport: ['commands'] },
]);
