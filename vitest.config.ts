import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    setupFiles: ['test/harness/cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
