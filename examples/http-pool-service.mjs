// An HTTP service whose request bodies live in a BufferPool: each body is read into a lease,
// transformed in place, and sent back; the lease goes back to the pool when the response is done.
// Copy it as the start of your own service. It listens on 127.0.0.1 only, sends itself a few
// requests, prints the pool's figures and exits.
//
//   npm run build && node examples/http-pool-service.mjs

import http from 'node:http';
import { BufferPool, endWithLease } from 'arenalloc/pool';

const MAX_BODY = 1 << 20;
const pool = new BufferPool({ maxIdleBytes: 8 << 20 });

const server = http.createServer((req, res) => {
  const size = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_BODY) {
    res.writeHead(411).end('a content-length of at most 1 MiB is required\n');
    req.resume();
    return;
  }
  // The body goes straight into pool memory: no Buffer per request, no garbage for the GC.
  const lease = pool.lease(size);
  let received = 0;
  let answered = false;
  req.on('data', (chunk) => {
    received += chunk.copy(lease.bytes, received);
  });
  req.on('error', () => {
    if (!answered) lease.release(); // the client went away mid-body
  });
  req.on('end', () => {
    answered = true;
    const body = lease.bytes.subarray(0, received);
    body.reverse(); // the service's work: here, reverse the bytes
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': received });
    endWithLease(res, lease); // released once the response has been written (or the client left)
  });
});

await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
const { port } = server.address();

async function post(text) {
  const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: text });
  return response.text();
}

const answers = [];
for (const text of ['hello, pool', 'x'.repeat(5000), 'abc'.repeat(30_000)]) answers.push(await post(text));
if (answers[0] !== 'loop ,olleh') throw new Error(`unexpected answer ${answers[0]}`);
console.log(`answered ${answers.length} requests, the first as ${JSON.stringify(answers[0])}`);

await new Promise((closed) => server.close(closed));
await new Promise((r) => setTimeout(r, 20)); // let the last response's 'close' release its lease
const stats = pool.stats();
console.log('pool after the requests:', { leases: stats.leases, peakBytes: stats.peakBytes, idleBytes: stats.idleBytes });
if (stats.leases !== 0) throw new Error('a lease was not released');
