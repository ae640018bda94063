import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e tests spawn the CLI and an emulator; two cores in CI.
    pool: 'forks',
    maxWorkers: 2,
  },
});
