import { defineConfig } from 'vitest/config';

// The package tests: they need `npm run build` first, pack the package and work on the tarball.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    globalSetup: ['test/package/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
