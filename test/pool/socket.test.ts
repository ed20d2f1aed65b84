// @browser-skip: real loopback sockets and a child node process
// Real sockets on 127.0.0.1 (short, bounded): a net echo server that answers through
// writeLease / writeLeases, a client that reads through onread into pool memory, and an HTTP
// server that ends its responses with endWithLease. Every lease must be back in the pool after.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BufferPool, endWithLease, readIntoPool, writeLease, writeLeases } from '../../src/pool/index';

function listen(server: net.Server): Promise<number> {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as net.AddressInfo).port)));
}

describe('loopback round trip', () => {
  it('echoes through leases (write, writev) and reads into pool memory with onread', async () => {
    const pool = new BufferPool();
    const server = net.createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        // Answer each chunk as two leases in one writev: a 4-byte length, then the bytes reversed.
        const head = pool.lease(4);
        head.bytes.writeUInt32BE(chunk.length, 0);
        const body = pool.lease(chunk.length);
        for (let i = 0; i < chunk.length; i++) body.bytes[i] = chunk[chunk.length - 1 - i] as number;
        writeLeases(socket, [head, body]);
      });
      socket.on('end', () => {
        const bye = pool.lease(3);
        bye.bytes.write('bye');
        writeLease(socket, bye, () => socket.end());
      });
    });
    const port = await listen(server);
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const received: Buffer[] = [];
    let reads = 0;
    const read = readIntoPool(pool, 16384, (bytes, length) => {
      reads++;
      expect(bytes.buffer).toBe(pool.heaps[0]?.buffer); // Node read straight into pool memory
      received.push(Buffer.from(bytes.subarray(0, length)));
    });
    await new Promise<void>((done, fail) => {
      const client = net.connect({ host: '127.0.0.1', port, onread: read });
      client.on('connect', () => client.end(payload));
      client.on('close', () => done());
      client.on('error', fail);
    });
    read.release();
    await new Promise((done) => server.close(done));
    const all = Buffer.concat(received);
    expect(all.subarray(all.length - 3).toString()).toBe('bye');
    // Reassemble the framed answers and check each is the reverse of what was sent, in order.
    let at = 0;
    const echoed: Buffer[] = [];
    while (at < all.length - 3) {
      const n = all.readUInt32BE(at);
      echoed.push(Buffer.from(all.subarray(at + 4, at + 4 + n)).reverse());
      at += 4 + n;
    }
    expect(Buffer.concat(echoed).equals(payload)).toBe(true);
    expect(reads).toBeGreaterThan(0);
    expect(pool.stats().leases).toBe(0);
    pool.check();
  });

  it('HTTP responses ended with endWithLease release their lease once the response is done', async () => {
    const pool = new BufferPool();
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        const lease = pool.lease(body.length);
        body.copy(lease.bytes);
        lease.bytes.reverse();
        res.setHeader('content-length', body.length);
        endWithLease(res, lease);
      });
    });
    const port = await listen(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const ask = (body: Buffer) =>
      new Promise<Buffer>((done, fail) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', agent }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => done(Buffer.concat(parts)));
        });
        req.on('error', fail);
        req.end(body);
      });
    const bodies = [1024, 70_000, 5, 262_144].map((n) => Buffer.alloc(n, n & 0xff).fill(1, 0, 1));
    const answers = await Promise.all(bodies.map(ask));
    agent.destroy();
    await new Promise((done) => server.close(done));
    for (const [i, a] of answers.entries()) expect(a.equals(Buffer.from(bodies[i] as Buffer).reverse())).toBe(true);
    for (let i = 0; i < 20 && pool.stats().leases > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(pool.stats().leases).toBe(0);
    pool.check();
  });
});

// The safety net only fires after a real collection: run it in a child `node --expose-gc`.
const leakScript = `
import { BufferPool } from './src/pool/index';
const reports = [];
const pool = new BufferPool({ onLeak: (r) => reports.push(r), releaseLeaked: true, traceLeases: true });
const cached = new BufferPool({ onLeak: (r) => reports.push(r) });
function dropOne() { pool.lease(1000).retain(); }
function dropCached() { cached.lease(2000); }
function balanced() { pool.lease(3000).release(); cached.lease(2000).release(); }
dropOne();
dropCached();
balanced();
for (let i = 0; i < 50 && reports.length < 2; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 5)); }
console.log(JSON.stringify({
  reports: reports.map((r) => ({ ...r, site: typeof r.site === 'string' && r.site.includes('dropOne') })),
  leases: pool.stats().leases, cachedLeases: cached.stats().leases,
}));
`;

describe('leak safety net', () => {
  it('reports a lease dropped with holders left (and gives it back when asked)', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const out = await build({
      stdin: { contents: leakScript, resolveDir: root, loader: 'ts', sourcefile: 'pool-leak.ts' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const dir = mkdtempSync(join(tmpdir(), 'arenalloc-pool-leak-'));
    try {
      const file = join(dir, 'leak.mjs');
      writeFileSync(file, out.outputFiles[0]?.text ?? '');
      const child = spawnSync(process.execPath, ['--expose-gc', file], { encoding: 'utf8', timeout: 30_000 });
      expect(child.stderr).toBe('');
      const result = JSON.parse(child.stdout);
      const byLength = Object.fromEntries(result.reports.map((r: { length: number }) => [r.length, r]));
      expect(result.reports).toHaveLength(2);
      expect(byLength[1000]).toMatchObject({ length: 1000, refs: 2, site: true, released: true });
      expect(byLength[2000]).toMatchObject({ length: 2000, refs: 1, released: false });
      expect(result.leases).toBe(0);
      expect(result.cachedLeases).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
