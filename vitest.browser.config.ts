/// <reference types="@vitest/browser/providers/playwright" />
import { readdirSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { CHROMIUM, CHROMIUM_FLAGS } from './test/support/chromium';

// The portable tests in headless Chromium: Vitest's browser mode with the Playwright provider,
// driving Debian's Chromium (never a downloaded browser). The page is served cross-origin isolated
// (COOP/COEP), so SharedArrayBuffer and the default 'shared' store exist there as in Node.
//
// A test file joins automatically unless it imports `node:` modules or says, on a line of its
// own, `// @browser-skip: the reason`. `npm run test:browser` runs it; CI installs Chromium first
// (scripts/ensure-chromium.sh).

const executablePath = CHROMIUM;

/** The test files that can run in a browser, with the reason each other one is left out. */
function portableTests(): { include: string[]; skipped: string[] } {
  const include: string[] = [];
  const skipped: string[] = [];
  // The folders of the layers' own tests (test/support/portable.json; Bun and Deno run the same
  // files, scripts/test-runtimes.sh). The folders of pool, strategies, wasm, threads, fault and
  // soak are not among them.
  const folders = JSON.parse(readFileSync('test/support/portable.json', 'utf8')) as string[];
  const files = folders.flatMap((folder) =>
    readdirSync(`test/${folder}`)
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => `test/${folder}/${name}`),
  );
  for (const file of files.sort()) {
    const source = readFileSync(file, 'utf8');
    const marker = /^\s*\/\/ @browser-skip:?(.*)$/m.exec(source);
    if (marker) skipped.push(`${file}: ${marker[1]!.trim() || 'marked @browser-skip'}`);
    else if (/from ['"]node:|require\(['"]node:/.test(source)) skipped.push(`${file}: imports node:* modules`);
    else include.push(file);
  }
  // test/browser/: checks of the browser page itself, run only here.
  for (const name of readdirSync('test/browser').sort()) if (name.endsWith('.test.ts')) include.push(`test/browser/${name}`);
  return { include, skipped };
}

const { include, skipped } = portableTests();
if (process.env.BROWSER_LIST_SKIPPED) for (const line of skipped) console.log(`skip ${line}`);

export default defineConfig({
  // Tests read optional knobs from process.env (GC_PROPERTY_RUNS, SOAK); a page has none.
  define: { 'process.env': '{}' },
  server: {
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
  test: {
    include,
    setupFiles: ['test/support/setup-inspect.ts'],
    // A loaded 2-core machine: one page, generous limits, so that slowness is not failure.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    browser: {
      enabled: true,
      provider: 'playwright',
      headless: true,
      ui: false,
      screenshotFailures: false,
      connectTimeout: 300_000,
      instances: [
        {
          browser: 'chromium',
          launch: {
            executablePath,
            timeout: 300_000,
            args: CHROMIUM_FLAGS, // test/support/chromium.ts says why each
          },
        },
      ],
    },
  },
});
