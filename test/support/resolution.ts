import { expect } from 'vitest';
import { ResolutionModule } from '../../src/actions/resolution/module.js';
import type { DisplayEnv } from '../../src/platform/display/backend.js';
import type { Monitor } from '../../src/platform/display/monitor.js';
import type { ReplyError } from '../../src/protocol/index.js';
import { collectingContext, replies } from './module-context.js';

/** A started resolution module on a desktop's environment, with what it sent, logged and laid out. */
export async function startResolution(env: DisplayEnv, settings: Record<string, string> = {}) {
  const layouts: Monitor[][] = [];
  const module = new ResolutionModule({ env, debounceMs: 30, onLayout: (d) => layouts.push(d) });
  const { ctx, sent, logs } = collectingContext(settings);
  await module.start(ctx);
  /** Waits for the first `n` REPLY messages and returns their error fields. */
  const answered = async (n: number): Promise<ReplyError[]> => {
    await expect.poll(() => replies(sent).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(n);
    return replies(sent).map((r) => r.error);
  };
  return { module, sent, logs, layouts, answered };
}
