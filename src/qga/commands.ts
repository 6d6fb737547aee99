import { type ArgSpec, T } from './args.js';
import { jsonObject, type JsonObject } from './json.js';

/** The actions.d entries that enable guest-agent commands; `always` commands need none. */
export const QGA_ACTIONS = ['info', 'shutdown', 'exec', 'file', 'set-time', 'fsfreeze', 'ssh-keys', 'set-user-password', 'fstrim', 'suspend', 'set-vcpus', 'set-memory-blocks'] as const;

/** An actions.d entry that enables commands. */
export type QgaAction = (typeof QGA_ACTIONS)[number];

/** One guest-agent command. */
export interface CommandSpec {
  /** The wire name. */
  name: string;
  /** The actions.d entry that enables it, `always`, or `never` (listed by qemu-ga on Linux, never enabled there). */
  action: QgaAction | 'always' | 'never';
  /** Its arguments, in QAPI declaration order. */
  args: readonly ArgSpec[];
  /** False for commands that answer nothing when they succeed. */
  successResponse: boolean;
  /** Whether it still answers while filesystems are frozen. */
  whileFrozen: boolean;
}

const cmd = (name: string, action: CommandSpec['action'], args: readonly ArgSpec[] = [], more: Partial<CommandSpec> = {}): CommandSpec => ({
  name,
  action,
  args,
  successResponse: true,
  whileFrozen: false,
  ...more,
});

const handle: ArgSpec = { name: 'handle', type: T.int };

/** GuestLogicalProcessor, guest-set-vcpus' list item (can-offline is read and ignored). */
const LOGICAL_PROCESSOR: readonly ArgSpec[] = [
  { name: 'logical-id', type: T.int },
  { name: 'online', type: T.bool },
  { name: 'can-offline', type: T.bool, optional: true },
];

/** GuestMemoryBlock, guest-set-memory-blocks' list item (can-offline is read and ignored). */
const MEMORY_BLOCK: readonly ArgSpec[] = [
  { name: 'phys-index', type: { kind: 'uint64' } },
  { name: 'online', type: T.bool },
  { name: 'can-offline', type: T.bool, optional: true },
];

/** Modes of guest-exec's capture-output (QEMU 8.1 and later, beside true and false). */
export const CAPTURE_MODES = ['none', 'stdout', 'stderr', 'separated', 'merged'] as const;

/** The commands served, in the order qemu-ga lists them in guest-info (7.2's, with 10.0's newer ones first). */
export const COMMANDS: readonly CommandSpec[] = [
  cmd('guest-network-get-route', 'info'),
  cmd('guest-get-load', 'info'),
  cmd('guest-get-cpustats', 'info'),
  cmd('guest-get-diskstats', 'info'),
  cmd('guest-ssh-remove-authorized-keys', 'ssh-keys', [{ name: 'username', type: T.str }, { name: 'keys', type: T.strList }]),
  cmd('guest-ssh-add-authorized-keys', 'ssh-keys', [
    { name: 'username', type: T.str },
    { name: 'keys', type: T.strList },
    { name: 'reset', type: T.bool, optional: true },
  ]),
  cmd('guest-ssh-get-authorized-keys', 'info', [{ name: 'username', type: T.str }]),
  // Windows only: qemu-ga on Linux lists it disabled.
  cmd('guest-get-devices', 'never'),
  cmd('guest-get-osinfo', 'info'),
  cmd('guest-get-timezone', 'info'),
  cmd('guest-get-users', 'info'),
  cmd('guest-get-host-name', 'info'),
  cmd('guest-exec', 'exec', [
    { name: 'path', type: T.str },
    { name: 'arg', type: T.strList, optional: true },
    { name: 'env', type: T.strList, optional: true },
    { name: 'input-data', type: T.str, optional: true },
    { name: 'capture-output', type: { kind: 'bool-or-enum', name: 'GuestExecCaptureOutput', values: CAPTURE_MODES }, optional: true },
  ]),
  cmd('guest-exec-status', 'exec', [{ name: 'pid', type: T.int }]),
  cmd('guest-get-memory-block-info', 'info'),
  cmd('guest-set-memory-blocks', 'set-memory-blocks', [{ name: 'mem-blks', type: { kind: 'list', of: { kind: 'struct', members: MEMORY_BLOCK } } }]),
  cmd('guest-get-memory-blocks', 'info'),
  cmd('guest-set-user-password', 'set-user-password', [
    { name: 'username', type: T.str },
    { name: 'password', type: T.str },
    { name: 'crypted', type: T.bool },
  ]),
  cmd('guest-get-fsinfo', 'info'),
  cmd('guest-get-disks', 'info'),
  cmd('guest-set-vcpus', 'set-vcpus', [{ name: 'vcpus', type: { kind: 'list', of: { kind: 'struct', members: LOGICAL_PROCESSOR } } }]),
  cmd('guest-get-vcpus', 'info'),
  cmd('guest-network-get-interfaces', 'info'),
  cmd('guest-suspend-hybrid', 'suspend', [], { successResponse: false }),
  cmd('guest-suspend-ram', 'suspend', [], { successResponse: false }),
  cmd('guest-suspend-disk', 'suspend', [], { successResponse: false }),
  cmd('guest-fstrim', 'fstrim', [{ name: 'minimum', type: T.int, optional: true }]),
  cmd('guest-fsfreeze-thaw', 'fsfreeze', [], { whileFrozen: true }),
  cmd('guest-fsfreeze-freeze-list', 'fsfreeze', [{ name: 'mountpoints', type: T.strList, optional: true }]),
  cmd('guest-fsfreeze-freeze', 'fsfreeze'),
  // Changes nothing and tells the host whether a restarted agent came back frozen: always served.
  cmd('guest-fsfreeze-status', 'always', [], { whileFrozen: true }),
  cmd('guest-file-flush', 'file', [handle]),
  cmd('guest-file-seek', 'file', [
    handle,
    { name: 'offset', type: T.int },
    { name: 'whence', type: { kind: 'int-or-enum', name: 'GuestFileWhence', values: ['set', 'cur', 'end'] } },
  ]),
  cmd('guest-file-write', 'file', [handle, { name: 'buf-b64', type: T.str }, { name: 'count', type: T.int, optional: true }]),
  cmd('guest-file-read', 'file', [handle, { name: 'count', type: T.int, optional: true }]),
  cmd('guest-file-close', 'file', [handle]),
  cmd('guest-file-open', 'file', [{ name: 'path', type: T.str }, { name: 'mode', type: T.str, optional: true }]),
  cmd('guest-shutdown', 'shutdown', [{ name: 'mode', type: T.str, optional: true }], { successResponse: false }),
  cmd('guest-info', 'always', [], { whileFrozen: true }),
  cmd('guest-set-time', 'set-time', [{ name: 'time', type: T.int, optional: true }]),
  cmd('guest-get-time', 'info'),
  cmd('guest-ping', 'always', [], { whileFrozen: true }),
  cmd('guest-sync', 'always', [{ name: 'id', type: T.int }], { whileFrozen: true }),
  cmd('guest-sync-delimited', 'always', [{ name: 'id', type: T.int }], { whileFrozen: true }),
];

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

/** The command of that name, if served. */
export function findCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name);
}

/** guest-info's answer: the version and every command with `enabled` and `success-response`. */
export function guestInfo(version: string, enabled: (spec: CommandSpec) => boolean): JsonObject {
  return jsonObject({
    version,
    supported_commands: COMMANDS.map((c) => jsonObject({ enabled: enabled(c), name: c.name, 'success-response': c.successResponse })),
  });
}
