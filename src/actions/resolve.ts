import type { Logger } from '../log/logger.js';
import { type ActionSet, parseSettings } from './actions-d.js';
import { ADMIN_ACTIONS, BUILTIN_MODULES, type ModuleDefinition } from './registry.js';

/** A built-in module that actions.d enabled, with its checked settings. */
export interface EnabledModule {
  definition: ModuleDefinition;
  settings: ReadonlyMap<string, string>;
}

/**
 * The built-in modules the action set enables. An unknown key is a warning naming file and line;
 * an invalid value keeps that module off; entries naming nothing built in are reported.
 */
export function enabledModules(actions: ActionSet, log: Logger, definitions: readonly ModuleDefinition[] = BUILTIN_MODULES): EnabledModule[] {
  for (const entry of actions.values()) {
    if (!definitions.some((d) => d.name === entry.name) && !ADMIN_ACTIONS.includes(entry.name)) {
      log.warn(`actions.d: ${entry.path}: no built-in action named ${entry.name}; ignored`);
    }
  }
  const out: EnabledModule[] = [];
  for (const definition of definitions) {
    const entry = actions.get(definition.name);
    if (!entry?.enabled) continue;
    const { settings, problems } = parseSettings(entry.content);
    for (const p of problems) log.warn(`actions.d: ${entry.path}:${p.line}: ${p.text}`);
    let valid = true;
    for (const [key, value] of settings) {
      const check = definition.settings?.[key];
      if (!check) {
        const line = entry.content.split('\n').findIndex((l) => l.replace(/#.*/, '').split('=')[0]?.trim() === key) + 1;
        log.warn(`actions.d: ${entry.path}:${line}: unknown setting ${key}; ignored`);
        settings.delete(key);
        continue;
      }
      const error = check(value);
      if (error) {
        log.error(`actions.d: ${entry.path}: ${key}: ${error}; module ${definition.name} stays off`);
        valid = false;
      }
    }
    if (valid) out.push({ definition, settings });
  }
  return out;
}
