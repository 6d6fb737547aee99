import { defineConfig } from 'vitest/config';

// `npm run e2e`: the package checks and the guest on a real kernel, one file after the other
// (QEMU wants both cores). A cold run builds the guest image, so the hooks get half an hour.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
