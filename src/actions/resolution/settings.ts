import { BACKEND_KINDS, type BackendKind } from '../../platform/display/backend.js';

/** The `backend` setting: `auto` (by the session's environment) or a backend kind. */
export type BackendSetting = BackendKind | 'auto';

/** The settings check for `backend`. */
export function checkBackendSetting(value: string): string | undefined {
  return value === 'auto' || (BACKEND_KINDS as readonly string[]).includes(value) ? undefined : `expected auto, ${BACKEND_KINDS.join(', ')}; got ${JSON.stringify(value)}`;
}
