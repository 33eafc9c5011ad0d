// The paged fetcher requests the next page as soon as one arrives (issue 12), and never has more
// than `concurrency` pages in flight or waiting besides the one the consumer holds.
import assert from "node:assert/strict";
import { fetchPages } from "../../lib/api/pages.ts";

Deno.test("pages: the next page is requested when a page arrives, before the consumer takes it", async () => {
  const requested: number[] = [];
  const rows = Array.from({ length: 35 }, (_, i) => i);
  const it = fetchPages((offset, limit) => {
    requested.push(offset);
    return Promise.resolve(rows.slice(offset, offset + limit));
  }, { pageSize: 10, maxPages: 100, concurrency: 1 });
  const first = await it.next();
  assert.deepEqual(first.value, rows.slice(0, 10));
  // The consumer holds page 1 and has not asked for more: page 2 is already on its way.
  assert.deepEqual(requested, [0, 10]);
  const sizes = [(first.value as number[]).length];
  for await (const page of it) sizes.push(page.length);
  assert.deepEqual(sizes, [10, 10, 10, 5]);
  assert.deepEqual(requested, [0, 10, 20, 30]); // nothing after the short page
});

Deno.test("pages: a slow consumer holds one page; at most `concurrency` more are in flight or waiting", async () => {
  let inFlight = 0;
  let most = 0;
  const rows = Array.from({ length: 2000 }, (_, i) => i);
  const pages = fetchPages(async (offset, limit) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 1));
    return rows.slice(offset, offset + limit);
  }, { pageSize: 100, maxPages: 100, concurrency: 3 });
  let n = 0;
  for await (const page of pages) {
    inFlight--; // this page has left the buffer
    n += page.length;
    await new Promise((r) => setTimeout(r, 3)); // a slow consumer
  }
  assert.equal(n, 2000);
  assert.ok(most <= 4, `the consumer's page and at most 3 more, saw ${most}`);
});

Deno.test("pages: no early request once what arrived covers the consumer's budget", async () => {
  const requested: number[] = [];
  const rows = Array.from({ length: 35 }, (_, i) => i);
  const it = fetchPages((offset, limit) => {
    requested.push(offset);
    return Promise.resolve(rows.slice(offset, offset + limit));
  }, { pageSize: 10, maxPages: 100, concurrency: 1, wants: (received) => received <= 15 });
  await it.next(); // 10 received: more wanted, page 2 requested early
  assert.deepEqual(requested, [0, 10]);
  await it.next(); // 20 received: budget covered, nothing requested early
  assert.deepEqual(requested, [0, 10]);
  await it.next(); // the consumer asked for more anyway: now it is requested
  assert.deepEqual(requested, [0, 10, 20]);
  await it.return(undefined);
});
