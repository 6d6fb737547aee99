/** The JSON types guest-agent arguments take (qemu-ga 7.2's QAPI schema). */
type ArgType = 'str' | 'int' | 'bool' | 'strList' | 'structList' | 'whence';

/** One argument: its name, its type, and whether it may be left out. */
type Arg = readonly [name: string, type: ArgType, optional: boolean];

/**
 * The commands libvirt, KubeVirt and Proxmox call that take arguments, with their arguments as
 * qemu-ga 7.2's schema declares them (written from the schema, not from vdagent's table).
 * guest-exec's capture-output is left out: its type changed in QEMU 8.1, which vdagent follows.
 */
const WITH_ARGUMENTS: Record<string, readonly Arg[]> = {
  'guest-sync-delimited': [['id', 'int', false]],
  'guest-file-open': [['path', 'str', false], ['mode', 'str', true]],
  'guest-file-close': [['handle', 'int', false]],
  'guest-file-read': [['handle', 'int', false], ['count', 'int', true]],
  'guest-file-write': [['handle', 'int', false], ['buf-b64', 'str', false], ['count', 'int', true]],
  'guest-file-seek': [['handle', 'int', false], ['offset', 'int', false], ['whence', 'whence', false]],
  'guest-file-flush': [['handle', 'int', false]],
  'guest-exec-status': [['pid', 'int', false]],
  'guest-exec': [['path', 'str', false], ['arg', 'strList', true], ['env', 'strList', true], ['input-data', 'str', true]],
  'guest-set-user-password': [['username', 'str', false], ['password', 'str', false], ['crypted', 'bool', false]],
  'guest-ssh-get-authorized-keys': [['username', 'str', false]],
  'guest-ssh-add-authorized-keys': [['username', 'str', false], ['keys', 'strList', false], ['reset', 'bool', true]],
  'guest-ssh-remove-authorized-keys': [['username', 'str', false], ['keys', 'strList', false]],
  'guest-fstrim': [['minimum', 'int', true]],
  'guest-shutdown': [['mode', 'str', true]],
  'guest-set-time': [['time', 'int', true]],
  'guest-fsfreeze-freeze-list': [['mountpoints', 'strList', true]],
  'guest-set-vcpus': [['vcpus', 'structList', false]],
  'guest-set-memory-blocks': [['mem-blks', 'structList', false]],
};

/** The argument-less commands they call. */
const WITHOUT_ARGUMENTS = [
  'guest-ping', 'guest-info', 'guest-get-time', 'guest-get-osinfo', 'guest-get-host-name', 'guest-get-timezone', 'guest-get-users',
  'guest-get-fsinfo', 'guest-get-disks', 'guest-network-get-interfaces', 'guest-get-vcpus', 'guest-get-memory-blocks',
  'guest-get-memory-block-info', 'guest-get-cpustats', 'guest-get-diskstats', 'guest-fsfreeze-status', 'guest-fsfreeze-freeze',
  'guest-fsfreeze-thaw', 'guest-suspend-ram', 'guest-suspend-disk', 'guest-suspend-hybrid',
];

/** Commands that act on the machine when their arguments pass: only sent with arguments that cannot. */
const ACTING = new Set(['guest-shutdown', 'guest-set-time', 'guest-fsfreeze-freeze-list', 'guest-fstrim', 'guest-fsfreeze-freeze', 'guest-fsfreeze-thaw', 'guest-suspend-ram', 'guest-suspend-disk', 'guest-suspend-hybrid']);

/** Commands whose valid arguments below (no such handle, pid or user) change nothing. */
const HARMLESS_WHEN_VALID = new Set(['guest-sync-delimited', 'guest-file-close', 'guest-file-read', 'guest-file-write', 'guest-file-seek', 'guest-file-flush', 'guest-exec-status', 'guest-ssh-get-authorized-keys']);

const VALID: Record<ArgType, unknown> = { str: 'vdagent-nosuch', int: 999_999, bool: false, strList: [], structList: [], whence: 'set' };
const WRONG: Record<ArgType, readonly unknown[]> = {
  str: [1, null, true, [], {}],
  int: ['1', 1.5, null, true, [], {}, 18446744073709551616],
  bool: ['true', 1, null, []],
  strList: ['x', {}, null, [1], [null]],
  structList: [{}, 'x', null, [1], [[]]],
  whence: [null, true, [], 'SET', 3.5],
};

/**
 * Requests whose arguments qemu-ga refuses before running anything, one aspect at a time: an extra
 * key, arguments that are no object, each required argument missing, each argument of each wrong
 * type; and, for commands that change nothing, arguments that pass (the command's own error).
 */
export function argumentCases(): string[] {
  const cases: object[] = [];
  for (const execute of WITHOUT_ARGUMENTS) cases.push({ execute, arguments: { x: 1 } }, { execute, arguments: 'x' }, { execute, arguments: 1 });
  for (const [execute, args] of Object.entries(WITH_ARGUMENTS)) {
    const required = Object.fromEntries(args.filter(([, , optional]) => !optional).map(([name, type]) => [name, VALID[type]]));
    cases.push({ execute, arguments: { ...required, zz: 1 } }, { execute, arguments: [] });
    if (!ACTING.has(execute)) cases.push({ execute, arguments: null }, { execute });
    for (const [name, , optional] of args) if (!optional) cases.push({ execute, arguments: Object.fromEntries(Object.entries(required).filter(([k]) => k !== name)) });
    for (const [name, type] of args) for (const wrong of WRONG[type]) cases.push({ execute, arguments: { ...required, [name]: wrong } });
    if (HARMLESS_WHEN_VALID.has(execute)) cases.push({ execute, arguments: required });
  }
  return cases.map((c) => JSON.stringify(c));
}
