// Every test file checks heaps (`heap.check()`), whose integrity walk lives in arenalloc/inspect:
// load it once per file, as a program that checks heaps would. The tests of what happens without
// it (test/inspect/not-loaded.test.ts) run in a worker, which this file does not reach.
import '../../src/inspect/index';
