import { describe, expect, it } from 'vitest';
import { createHeap, Heap } from '../../src/index';
import { currentHooks } from '../../src/port';
import { createRc } from '../../src/rc/index';
import { bytesEqual, heapOf, STORES } from '../support/helpers';

const code = (c: string) => expect.objectContaining({ code: c });

describe('struct layout', () => {
  it('follows C alignment rules and prints the C declaration', () => {
    const rc = createRc(createHeap());
    const T = rc.struct('Mixed', {
      flag: 'bool',
      count: 'i32',
      small: 'i8',
      wide: 'f64',
      tag: 'u16',
      id: 'u64',
      rgb: 'u8[3]',
      vec: 'f32[4]',
      next: { ref: 'Mixed' },
      any: 'ref',
    });
    const f = T.fields;
    expect([f.flag.offset, f.count.offset, f.small.offset, f.wide.offset, f.tag.offset, f.id.offset]).toEqual([0, 4, 8, 16, 24, 32]);
    expect([f.rgb.offset, f.vec.offset, f.next.offset, f.any.offset]).toEqual([40, 44, 60, 64]);
    expect(T.size).toBe(72); // 68 rounded up to the struct's alignment, 8
    expect(T.align).toBe(8);
    expect(T.headerBytes).toBe(32);
    expect(T.toC()).toBe(
      [
        'struct Mixed {',
        '  bool flag; /* offset 0 */',
        '  int32_t count; /* offset 4 */',
        '  int8_t small; /* offset 8 */',
        '  double wide; /* offset 16 */',
        '  uint16_t tag; /* offset 24 */',
        '  uint64_t id; /* offset 32 */',
        '  uint8_t rgb[3]; /* offset 40 */',
        '  float vec[4]; /* offset 44 */',
        '  struct Mixed *next; /* offset 60 */',
        '  void *any; /* offset 64 */',
        '}; /* size 72, align 8 */',
      ].join('\n'),
    );
    const Small = rc.struct('Small', { a: 'u8', b: 'u16' });
    expect([Small.size, Small.align, Small.headerBytes]).toEqual([4, 2, 16]);
    const Empty = rc.struct('Empty', {});
    expect([Empty.size, Empty.align]).toEqual([0, 1]);
  });

  it('rejects bad schemas with typed errors', () => {
    const rc = createRc(createHeap());
    expect(() => rc.struct('1bad', { a: 'u8' })).toThrow(code('ERR_INVALID_ARGUMENT'));
    expect(() => rc.struct('T', { a: 'u9' as 'u8' })).toThrow(code('ERR_INVALID_ARGUMENT'));
    expect(() => rc.struct('T', { a: 'u8[0]' })).toThrow(code('ERR_INVALID_ARGUMENT'));
    expect(() => rc.struct('T', { 'a-b': 'u8' })).toThrow(code('ERR_INVALID_ARGUMENT'));
    expect(() => rc.struct('T', { a: 'u8' }, { freeListSize: -1 })).toThrow(code('ERR_INVALID_ARGUMENT'));
    rc.struct('T', { a: 'u8' });
    expect(() => rc.struct('T', { a: 'u8' })).toThrow(code('ERR_INVALID_ARGUMENT'));
  });
});

describe('field accessors', () => {
  for (const store of STORES) {
    it(`read and write every kind, across growth (${store})`, () => {
      const heap = heapOf(store);
      const rc = createRc(heap);
      const T = rc.struct('All', {
        a: 'i8',
        b: 'u8',
        c: 'i16',
        d: 'u16',
        e: 'i32',
        f: 'u32',
        g: 'f32',
        h: 'f64',
        i: 'bool',
        j: 'i64',
        k: 'u64',
        l: 'i16[3]',
        m: 'i64[2]',
      });
      const ptrs: number[] = [];
      const epoch = heap.epoch;
      // Enough objects to grow every store but the fixed one while the accessors are in use.
      for (let n = 0; n < 3000; n++) {
        const p = T.create();
        const F = T.fields;
        F.a.set(p, -n);
        F.b.set(p, n);
        F.c.set(p, -n * 7);
        F.d.set(p, n * 7);
        F.e.set(p, -n * 100_000);
        F.f.set(p, n * 1_000_000);
        F.g.set(p, n + 0.5);
        F.h.set(p, n / 3);
        F.i.set(p, n % 2 === 1);
        F.j.set(p, BigInt(-n) * 10n ** 12n);
        F.k.set(p, 2n ** 63n + BigInt(n));
        F.l.set(p, 2, -n);
        F.m.set(p, 1, BigInt(n));
        ptrs.push(p);
      }
      if (store !== 'fixed') expect(heap.epoch).toBeGreaterThan(epoch);
      for (let n = 0; n < ptrs.length; n++) {
        const p = ptrs[n] as number;
        const F = T.fields;
        expect(F.a.get(p)).toBe(((-n << 24) >> 24) | 0);
        expect(F.b.get(p)).toBe(n & 0xff);
        expect(F.c.get(p)).toBe((((-n * 7) << 16) >> 16) | 0);
        expect(F.d.get(p)).toBe((n * 7) & 0xffff);
        expect(F.e.get(p)).toBe(-n * 100_000 || 0);
        expect(F.f.get(p)).toBe((n * 1_000_000) >>> 0);
        expect(F.g.get(p)).toBe(n + 0.5);
        expect(F.h.get(p)).toBe(n / 3);
        expect(F.i.get(p)).toBe(n % 2 === 1);
        expect(F.j.get(p)).toBe(BigInt(-n) * 10n ** 12n);
        expect(F.k.get(p)).toBe(2n ** 63n + BigInt(n));
        expect([F.l.get(p, 0), F.l.get(p, 1), F.l.get(p, 2)]).toEqual([0, 0, ((-n << 16) >> 16) | 0]);
        expect(F.m.get(p, 1)).toBe(BigInt(n));
      }
      expect(() => T.fields.l.get(ptrs[0] as number, 3)).toThrow(code('ERR_INVALID_ARGUMENT'));
      expect(() => T.fields.m.set(ptrs[0] as number, -1, 1n)).toThrow(code('ERR_INVALID_ARGUMENT'));
      for (const p of ptrs) rc.release(p);
      expect(heap.stats().liveBlocks).toBe(0);
      heap.check();
    });
  }

  it('a new object is zeroed, also when its block is reused', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const T = rc.struct('Z', { x: 'f64', y: 'u32[5]' });
    const a = T.create();
    T.fields.x.set(a, 42);
    T.fields.y.set(a, 4, 7);
    rc.release(a);
    const b = T.create();
    expect(b).toBe(a);
    expect(T.fields.x.get(b)).toBe(0);
    expect(T.fields.y.get(b, 4)).toBe(0);
  });
});

describe('retain and release', () => {
  it('counts references and frees at zero, with exact stats', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const T = rc.struct('P', { x: 'f64' });
    const before = heap.stats().liveBlocks;
    const p = T.create();
    expect(rc.refcount(p)).toBe(1);
    expect(rc.typeOf(p)).toBe(T);
    expect(heap.stats().liveBlocks).toBe(before + 1);
    rc.retain(p);
    rc.retain(p);
    expect(rc.refcount(p)).toBe(3);
    rc.release(p);
    rc.release(p);
    expect(rc.stats()).toMatchObject({ created: 1, destroyed: 0, live: 1 });
    rc.release(p);
    expect(rc.stats()).toMatchObject({ created: 1, destroyed: 1, live: 0 });
    expect(heap.stats().liveBlocks).toBe(before);
    heap.check();
  });

  it('rejects underflow, freed objects and non-objects, changing nothing', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const T = rc.struct('P', { x: 'f64' });
    const keep = T.create();
    const p = T.create();
    rc.release(p);
    const snapshot = new Uint8Array(heap.buffer.slice(0));
    expect(() => rc.release(p)).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(() => rc.retain(p)).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(() => rc.release(0)).toThrow(code('ERR_INVALID_POINTER'));
    expect(() => rc.release(keep + 4)).toThrow(code('ERR_INVALID_POINTER'));
    expect(() => rc.release(1.5)).toThrow(code('ERR_INVALID_POINTER'));
    expect(() => rc.retain(heap.buffer.byteLength + 64)).toThrow(code('ERR_INVALID_POINTER'));
    const raw = heap.calloc(1, 64);
    const snapshot2 = new Uint8Array(heap.buffer.slice(0));
    expect(() => rc.release(raw)).toThrow(code('ERR_INVALID_POINTER'));
    expect(bytesEqual(new Uint8Array(heap.buffer.slice(0)), snapshot2)).toBe(true); // not toEqual: 1 MiB element by element takes 20 s under Bun
    heap.free(raw);
    expect(snapshot.length).toBeGreaterThan(0);
    expect(rc.refcount(keep)).toBe(1);
    rc.release(keep);
    heap.check();
  });

  it('refuses a raw block whose header words look like an object, changing nothing', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const T = rc.struct('T', { x: 'u32' });
    const keep = T.create();
    // The word before a raw block's payload is the allocator's `requested` field: 1 here, which
    // is also a valid type id. Only the liveness check of the object's own block tells them apart.
    const raw = heap.malloc(1);
    const snapshot = new Uint8Array(heap.buffer.slice(0));
    expect(() => rc.release(raw)).toThrow(code('ERR_INVALID_POINTER'));
    expect(() => rc.retain(raw)).toThrow(code('ERR_INVALID_POINTER'));
    expect(bytesEqual(new Uint8Array(heap.buffer.slice(0)), snapshot)).toBe(true);
    heap.free(raw);
    rc.release(keep);
    heap.check();
  });

  it('releases the head of a million-long chain iteratively', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 20, maxBytes: 1 << 27 });
    const rc = createRc(heap);
    const Link = rc.struct('Link', { value: 'u32', next: { ref: 'Link' } });
    const next = Link.fields.next;
    let head = Link.create();
    for (let i = 1; i < 1_000_000; i++) {
      const node = Link.create();
      next.set(node, head); // node holds head ...
      rc.release(head); // ... and is its only owner
      head = node;
    }
    expect(rc.stats().live).toBe(1_000_000);
    rc.release(head);
    expect(rc.stats().live).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
  });
});

describe('ref fields', () => {
  it('retain the new target before releasing the old one (self-assignment is safe)', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Node = rc.struct('Node', { next: { ref: 'Node' }, other: 'ref' });
    const a = Node.create();
    const b = Node.create();
    Node.fields.next.set(a, b);
    rc.release(b);
    expect(rc.refcount(b)).toBe(1);
    Node.fields.next.set(a, Node.fields.next.get(a)); // the only reference, assigned again
    expect(rc.refcount(b)).toBe(1);
    expect(rc.referents(a)).toEqual([b]);
    Node.fields.next.set(a, 0);
    expect(() => rc.refcount(b)).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(() => rc.retain(b)).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(rc.referents(a)).toEqual([]);
    rc.release(a);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('check the target type, leaving everything as it was on error', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Node = rc.struct('Node', { next: { ref: 'Node' }, any: 'ref', later: { ref: 'Later' } });
    const Other = rc.struct('Other', { x: 'u32' });
    const a = Node.create();
    const o = Other.create();
    expect(() => Node.fields.next.set(a, o)).toThrow(code('ERR_INVALID_POINTER'));
    expect(() => Node.fields.later.set(a, o)).toThrow(code('ERR_INVALID_ARGUMENT'));
    expect(() => Node.fields.next.set(o, a)).toThrow(code('ERR_INVALID_POINTER'));
    expect(rc.refcount(o)).toBe(1);
    expect(Node.fields.next.get(a)).toBe(0);
    Node.fields.any.set(a, o);
    expect(rc.refcount(o)).toBe(2);
    const Later = rc.struct('Later', {});
    const l = Later.create();
    Node.fields.later.set(a, l);
    rc.release(l);
    rc.release(o);
    rc.release(a);
    expect(rc.stats().live).toBe(0);
    heap.check();
  });
});

describe('finalizers', () => {
  it('run once, before the ref fields are released, children after parents', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const log: string[] = [];
    const Node = rc.struct(
      'Node',
      { id: 'u32', next: { ref: 'Node' } },
      {
        finalizer: (p) => {
          const next = Node.fields.next.get(p);
          log.push(`${Node.fields.id.get(p)}->${next === 0 ? '-' : Node.fields.id.get(next)}`);
        },
      },
    );
    const a = Node.create();
    const b = Node.create();
    Node.fields.id.set(a, 1);
    Node.fields.id.set(b, 2);
    Node.fields.next.set(a, b);
    rc.release(b);
    rc.release(a);
    expect(log).toEqual(['1->2', '2->-']);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('may resurrect the object, and then never run again', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    let saved = 0;
    let runs = 0;
    const T = rc.struct(
      'Phoenix',
      { x: 'u32' },
      {
        finalizer: (p) => {
          runs++;
          rc.retain(p);
          saved = p;
        },
      },
    );
    const p = T.create();
    rc.release(p);
    expect(saved).toBe(p);
    expect(rc.refcount(p)).toBe(1);
    expect(rc.stats().live).toBe(1);
    rc.release(p);
    expect(runs).toBe(1);
    expect(rc.stats().live).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('may release other objects (nested destruction) and a throwing finalizer still frees everything', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Leaf = rc.struct('Leaf', { x: 'u32' });
    const leaves: number[] = [];
    const Owner = rc.struct(
      'Owner',
      { child: { ref: 'Owner' } },
      {
        finalizer: () => {
          const leaf = leaves.pop();
          if (leaf !== undefined) rc.release(leaf);
          if (leaves.length === 1) throw new Error('finalizer failed');
        },
      },
    );
    for (let i = 0; i < 3; i++) leaves.push(Leaf.create());
    const a = Owner.create();
    const b = Owner.create();
    const c = Owner.create();
    Owner.fields.child.set(a, b);
    Owner.fields.child.set(b, c);
    rc.release(c);
    rc.release(b);
    expect(() => rc.release(a)).toThrow('finalizer failed');
    expect(leaves).toEqual([]);
    expect(rc.stats().live).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
  });
});

describe('free lists', () => {
  it('hand freed objects out again, count hits and misses, and empty on demand', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const T = rc.struct('Float', { v: 'f64' }, { freeListSize: 2 });
    const a = T.create(); // miss
    const b = T.create(); // miss
    const c = T.create(); // miss
    rc.release(a);
    rc.release(b);
    rc.release(c); // the list is full: c goes back to the allocator
    expect(T.stats()).toEqual({ name: 'Float', live: 0, freeListLength: 2, freeListSize: 2, hits: 0, misses: 3 });
    expect(heap.stats().liveBlocks).toBe(2);
    expect(() => rc.retain(b)).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(T.create()).toBe(b); // LIFO
    expect(T.create()).toBe(a);
    const d = T.create(); // miss: the list is empty
    expect(rc.stats()).toMatchObject({ freeListHits: 2, freeListMisses: 4, live: 3 });
    rc.checkObjects(
      new Map([
        [a, 1],
        [b, 1],
        [d, 1],
      ]),
    );
    for (const p of [a, b, d]) rc.release(p);
    expect(T.stats().freeListLength).toBe(2);
    T.clearFreeList();
    expect(T.stats().freeListLength).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
    T.setFreeListSize(1);
    rc.release(T.create());
    expect(heap.stats().liveBlocks).toBe(1);
    rc.clearFreeLists();
    expect(heap.stats().liveBlocks).toBe(0);
    expect(() => T.setFreeListSize(1.5)).toThrow(code('ERR_INVALID_ARGUMENT'));
    heap.check();
  });
});

describe('Ref handles', () => {
  it('own references, read and write fields, and fail after release', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Node = rc.struct('Node', { x: 'f64', big: 'i64', ok: 'bool', v: 'u8[2]', next: { ref: 'Node' } });
    const a = Node.createRef();
    const b = Node.createRef();
    a.set('x', 1.25);
    a.set('big', -5n);
    a.set('ok', true);
    a.setAt('v', 1, 9);
    a.set('next', b);
    expect([a.get('x'), a.get('big'), a.get('ok'), a.getAt('v', 1), a.get('next')]).toEqual([1.25, -5n, true, 9, b.ptr]);
    expect(rc.refcount(b.ptr)).toBe(2);
    b.release();
    expect(b.alive).toBe(false);
    expect(() => b.get('x')).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(() => b.release()).toThrow(code('ERR_USE_AFTER_FREE'));
    a.retain();
    expect(a.holds).toBe(2);
    a[Symbol.dispose]();
    expect(a.holds).toBe(0);
    expect(rc.stats().live).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('detect a freed-and-reused block by the generation check', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const T = rc.struct('T', { x: 'f64' });
    const h = T.createRef();
    const ptr = h.ptr;
    rc.release(ptr); // an unbalanced release elsewhere destroys the object under the handle
    const reused = T.create();
    expect(reused).toBe(ptr);
    T.fields.x.set(reused, 99);
    expect(h.alive).toBe(false);
    expect(() => h.get('x')).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(() => h.set('x', 1)).toThrow(code('ERR_USE_AFTER_FREE'));
    expect(T.fields.x.get(reused)).toBe(99);
    rc.release(reused);
  });
});

describe('attach', () => {
  it('a copy of the heap can release and traverse its objects once the types are declared again', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Node = rc.struct('Node', { v: 'u32', next: { ref: 'Node' } }, { freeListSize: 4 });
    rc.struct('Unused', { z: 'u8' });
    let head = 0;
    for (let i = 0; i < 100; i++) {
      const n = Node.create();
      Node.fields.v.set(n, i);
      if (head !== 0) {
        Node.fields.next.set(n, head);
        rc.release(head);
      }
      head = n;
    }
    const copy = Heap.attach(heap.buffer.slice(0));
    const rc2 = createRc(copy);
    // Before re-declaring, the registry in the buffer still traverses and frees.
    expect(rc2.referents(head).length).toBe(1);
    expect(rc2.typeOf(head)).toBeUndefined();
    const Node2 = rc2.struct('Node', { v: 'u32', next: { ref: 'Node' } });
    expect(Node2.id).toBe(Node.id);
    expect(rc2.typeOf(head)).toBe(Node2);
    expect(Node2.fields.v.get(Node2.fields.next.get(head))).toBe(98);
    const holds = new Map<number, number>();
    for (let p = head; p !== 0; p = Node2.fields.next.get(p)) holds.set(p, p === head ? 1 : 0);
    rc2.checkObjects(holds);
    rc2.release(head);
    expect(rc2.stats().live).toBe(0);
    expect(Node2.stats().freeListLength).toBe(4);
    rc2.clearFreeLists();
    expect(copy.stats().liveBlocks).toBe(0);
    copy.check();
    // The original is untouched.
    expect(rc.stats().live).toBe(100);
  });
});

describe('out of memory and hooks', () => {
  it('a create that runs out of memory throws and changes nothing', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 16 });
    const rc = createRc(heap);
    const Big = rc.struct('Big', { data: 'f64[60]', next: { ref: 'Big' } });
    const made: number[] = [];
    let error: unknown = null;
    for (;;) {
      const before = { rc: rc.stats(), heap: heap.stats() };
      try {
        made.push(Big.create());
      } catch (e) {
        error = e;
        expect(rc.stats()).toEqual(before.rc);
        expect(heap.stats()).toEqual(before.heap);
        break;
      }
    }
    expect(error).toMatchObject({ code: 'ERR_OUT_OF_MEMORY' });
    expect(made.length).toBeGreaterThan(50);
    heap.check();
    for (const p of made) rc.release(p);
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
  });

  it('createRc on a full heap throws and leaves no registry behind', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 16 });
    const blocks: number[] = [];
    for (let p = heap.tryMalloc(256); p !== 0; p = heap.tryMalloc(256)) blocks.push(p);
    const before = heap.stats();
    expect(() => createRc(heap)).toThrow(code('ERR_OUT_OF_MEMORY'));
    expect(heap.stats()).toEqual(before);
    heap.check();
    for (const p of blocks) heap.free(p);
    const rc = createRc(heap); // now it fits
    const T = rc.struct('T', { x: 'u32' });
    rc.release(T.create());
    heap.check();
  });

  it('objects are allocated and freed through the installed hooks', () => {
    const heap = createHeap();
    const next = currentHooks(heap);
    const calls = { malloc: 0, free: 0 };
    heap._hooks = {
      ...next,
      malloc: (size) => {
        calls.malloc++;
        return next.malloc(size);
      },
      free: (ptr) => {
        calls.free++;
        next.free(ptr);
      },
    };
    const rc = createRc(heap);
    const T = rc.struct('T', { x: 'u32' });
    rc.release(T.create());
    rc.release(T.create());
    expect(calls).toEqual({ malloc: 2, free: 2 });
  });
});
