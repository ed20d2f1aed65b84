import type { Heap, HeapHooks } from '../../src/heap';
import { currentHooks } from '../../src/port';
import { parseStack } from '../../src/profile/stack';

/** The file and line of the caller, parsed the way the tracer parses stacks. */
export function here(): { file: string; line: number } {
  const frame = parseStack(new Error().stack ?? '')[1];
  if (frame === undefined) throw new Error('no caller frame');
  return { file: frame.filename, line: frame.lineno };
}

/** A wrapper around malloc in its own file, for the tracer's internalFiles option. */
export function allocVia(heap: Heap, size: number): number {
  return heap.malloc(size);
}

/** A stand-in for another layer (debug mode) installed through the hook chain; counts calls. */
export class CountingLayer implements HeapHooks {
  readonly next: HeapHooks;
  calls = 0;
  constructor(heap: Heap) {
    this.next = currentHooks(heap);
    heap._hooks = this;
  }
  malloc(size: number): number {
    this.calls++;
    return this.next.malloc(size);
  }
  alignedAlloc(size: number, alignment: number): number {
    this.calls++;
    return this.next.alignedAlloc(size, alignment);
  }
  realloc(ptr: number, size: number): number {
    this.calls++;
    return this.next.realloc(ptr, size);
  }
  free(ptr: number): void {
    this.calls++;
    this.next.free(ptr);
  }
  usableSize(ptr: number): number {
    return this.next.usableSize(ptr);
  }
  isLive(ptr: number): boolean {
    return this.next.isLive(ptr);
  }
}
