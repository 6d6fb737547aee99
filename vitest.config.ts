import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default (one worker fewer than the cores) ran this suite one file at a time on a
    // 2-core machine; the integration files mostly wait on the processes they start, so two at
    // once take about 60 % of the time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
