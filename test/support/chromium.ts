/**
 * Debian's Chromium for the tests that drive a browser (never a downloaded one): where it is, the
 * flags it needs on these machines, and whether a test must skip without it. CI installs it first
 * (scripts/ensure-chromium.sh) and sets CI, so there such a test always runs.
 */
import { existsSync } from 'node:fs';

/** The Chromium binary (`CHROMIUM` overrides Debian's). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * As this machine's Chromium needs them: root (no sandbox), no GPU, and no background connections
 * (the network is closed; they would be refused, many at a time). `--headless` is the caller's.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** True when Chromium is missing outside CI: the test `name` then skips, and says so once. */
export function skipWithoutChromium(name: string): boolean {
  const skip = !existsSync(CHROMIUM) && !process.env.CI;
  if (skip) console.warn(`${name}: skipped, ${CHROMIUM} is missing (run scripts/ensure-chromium.sh; in CI this test never skips)`);
  return skip;
}
