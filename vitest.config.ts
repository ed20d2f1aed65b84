import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Package tests need the build and run from `npm run test:package` (vitest.package.config.ts).
    // test/browser/ runs only in the browser suite (vitest.browser.config.ts, `npm run test:browser`).
    exclude: ['test/package/**', 'test/browser/**', '**/node_modules/**'],
    testTimeout: 60_000,
    setupFiles: ['test/support/setup-inspect.ts'],
    pool: 'forks',
    // Two files at a time even on 2 cores (Vitest's default there is one, which leaves a core
    // idle while a file waits on a child process, a worker or Chromium); more cores, one less.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    minWorkers: 1,
  },
});
