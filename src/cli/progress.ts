/**
 * The progress bar of long replays, on stderr, drawn only when stderr is a terminal (and not
 * `--quiet`), at most ten times a second.
 *
 * @internal
 * @module
 */

import type { Io } from './run';

const WIDTH = 30;

/** A one-line progress bar redrawn in place with `\r`. @internal */
export class Progress {
  label = '';
  private readonly io: Io;
  private readonly enabled: boolean;
  private lastDraw = 0;
  private drawn = false;

  constructor(io: Io, enabled: boolean) {
    this.io = io;
    this.enabled = enabled;
  }

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * WIDTH);
    this.io.stderr(
      `\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${this.label}\x1b[K`,
    );
    this.drawn = true;
  }

  clear(): void {
    if (!this.drawn) return;
    this.io.stderr('\r\x1b[K');
    this.drawn = false;
  }
}
