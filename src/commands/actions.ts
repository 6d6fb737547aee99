import { DEFAULT_ACTIONS_DIRS, loadActions } from '../actions/actions-d.js';
import { ADMIN_ACTIONS, BUILTIN_MODULES } from '../actions/registry.js';
import { enabledModules } from '../actions/resolve.js';
import { createLogger } from '../log/logger.js';

/**
 * The effective action set as lines, like systemd-delta: each action, whether it is on, and the
 * file that decided it (and the one it overrides, and an entry refused as untrusted, with why).
 */
export function describeActions(dirs: readonly string[]): string[] {
  const log = createLogger({ journal: false });
  const refused = new Map<string, string>();
  const actions = loadActions(dirs, { log, onRefused: (name, path, why) => refused.set(name, `${path}: ${why.reason}`) });
  const on = new Set(enabledModules(actions, log).map((e) => e.definition.name));
  const names = new Set([...BUILTIN_MODULES.map((d) => d.name), ...ADMIN_ACTIONS, ...actions.keys()]);
  return [...names].sort().map((name) => {
    const entry = actions.get(name);
    const builtin = BUILTIN_MODULES.some((d) => d.name === name);
    const known = builtin || ADMIN_ACTIONS.includes(name);
    let state: string;
    if (!known) state = 'unknown';
    else if (!entry) state = refused.has(name) ? 'refused' : 'off';
    else if (!entry.enabled) state = 'masked';
    else if (builtin && !on.has(name)) state = 'invalid';
    else state = 'on';
    const where = entry ? `${entry.path}${entry.enabled ? '' : ' -> /dev/null'}${entry.overrides ? ` (overrides ${entry.overrides})` : ''}` : '(no entry)';
    const distrusted = refused.get(name);
    return `${name.padEnd(22)} ${state.padEnd(8)} ${where}${distrusted ? ` (refused ${distrusted})` : ''}`;
  });
}

/** `vdagent actions [--actions-dir DIR]...`. */
export function runActions(dirs: readonly string[]): number {
  for (const line of describeActions(dirs.length > 0 ? dirs : DEFAULT_ACTIONS_DIRS)) process.stdout.write(line + '\n');
  return 0;
}
