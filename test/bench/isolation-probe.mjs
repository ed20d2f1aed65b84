// Run by test/bench/isolation.test.ts as `node --allow-natives-syntax isolation-probe.mjs MODE`.
// Builds three copies of one contender loop through `isolated` (MODE "isolated") or through a
// plain `new Function` of the same text (MODE "same-text", what `isolated` did before), drives
// each with an allocator of another class, and prints each copy's `%DebugPrint`: the test reads
// the feedback vector's address and the state of its property loads from it.
import { isolated } from '../../bench/lib/measure.mjs';

class FreeListA {
  constructor() {
    this.next = 16;
  }
  malloc() {
    return this.next;
  }
  free() {}
}
class FreeListB {
  constructor() {
    this.top = 0;
    this.next = 32;
  }
  malloc() {
    return this.next;
  }
  free() {}
}
class FreeListC {
  constructor() {
    this.a = 0;
    this.b = 0;
    this.next = 48;
  }
  malloc() {
    return this.next;
  }
  free() {}
}

const sameText = (factory) => new Function(`'use strict'; return (${factory.toString()});`)();
const copy = process.argv[2] === 'same-text' ? sameText : isolated;
const loops = [new FreeListA(), new FreeListB(), new FreeListC()].map((allocator) =>
  copy((allocator, count) => () => {
    for (let n = 0; n < count; n++) allocator.free(allocator.malloc(16));
  })(allocator, 100),
);
for (const loop of loops) for (let i = 0; i < 2000; i++) loop();
// V8 writes these through C's stdout, which a pipe buffers apart from Node's own output: the
// test splits on the "DebugPrint:" line that starts each one, not on markers of ours.
// (`%DebugPrint` is compiled from a string, so that this file stays plain JavaScript for tools.)
const debugPrint = new Function('f', '%DebugPrint(f)');
for (const loop of loops) debugPrint(loop);
