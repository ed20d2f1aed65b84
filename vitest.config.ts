import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Package tests need the build and run from `npm run test:package` (vitest.package.config.ts).
    // test/browser/ runs only in the browser suite (vitest.browser.config.ts, `npm run test:browser`).
    exclude: ['test/package/**', 'test/browser/**', '**/node_modules/**'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
