import assert from "node:assert/strict";
import { Hono } from "../../deps/hono.ts";
import type { ServeEnv } from "../types.ts";
import { limitBody, rateLimit, requireJson, Semaphore, tokenBuckets } from "./index.ts";

function app() {
  const a = new Hono<ServeEnv>();
  a.post(
    "/",
    requireJson(),
    limitBody(10),
    async (c) => c.text(String((await c.req.text()).length)),
  );
  return a;
}

Deno.test("body limit: 413 from Content-Length, before the body is read", async () => {
  let pulled = 0;
  const body = new ReadableStream({
    pull(ctrl) {
      pulled++;
      ctrl.enqueue(new Uint8Array(100));
      ctrl.close();
    },
  }, { highWaterMark: 0 });
  const res = await app().request("/", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "content-length": "100" },
  });
  assert.equal(res.status, 413);
  assert.deepEqual(await res.json(), {
    error: "payload_too_large",
    message: "request body is larger than 10 bytes",
  });
  assert.equal(pulled, 0);
});

Deno.test("body limit: a streamed body is cut off as soon as it passes the limit", async () => {
  let chunks = 0;
  const body = new ReadableStream({
    pull(ctrl) {
      if (++chunks > 1000) return ctrl.close();
      ctrl.enqueue(new Uint8Array(4));
    },
  });
  const res = await app().request("/", {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  assert.equal(res.status, 413);
  assert.ok(chunks < 10, `read ${chunks} chunks`);
  const ok = await app().request("/", {
    method: "POST",
    body: "0123456789",
    headers: { "content-type": "application/json" },
  });
  assert.equal(await ok.text(), "10");
});

Deno.test("content type: 415 unless application/json (parameters allowed)", async () => {
  for (
    const [type, status] of [
      ["text/plain", 415],
      ["application/x-www-form-urlencoded", 415],
      ["application/json; charset=utf-8", 200],
      ["Application/JSON", 200],
    ] as const
  ) {
    const res = await app().request("/", {
      method: "POST",
      body: "{}",
      headers: { "content-type": type },
    });
    assert.equal(res.status, status, type);
    await res.body?.cancel();
  }
});

Deno.test("token buckets: burst, then one per 1/rate seconds, per key", () => {
  let t = 0;
  const b = tokenBuckets({ perSecond: 2, burst: 3, now: () => t });
  assert.deepEqual([b.take("a"), b.take("a"), b.take("a")], [0, 0, 0]);
  assert.equal(b.take("a"), 1);
  assert.equal(b.take("b"), 0, "other sources unaffected");
  t = 500;
  assert.equal(b.take("a"), 0);
  assert.equal(b.take("a"), 1);
});

Deno.test("rate limit middleware: 429 with Retry-After and a JSON error", async () => {
  const a = new Hono<ServeEnv>();
  a.use(rateLimit({ perSecond: 1, burst: 1, key: () => "k" }));
  a.get("/", (c) => c.text("ok"));
  assert.equal((await a.request("/")).status, 200);
  const res = await a.request("/");
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "1");
  assert.equal((await res.json()).error, "rate_limited");
});

Deno.test("semaphore: never more than the limit in flight", async () => {
  const sem = new Semaphore(3);
  let inFlight = 0;
  let peak = 0;
  await Promise.all(Array.from({ length: 20 }, () =>
    sem.run(async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    })));
  assert.equal(peak, 3);
  assert.equal(sem.inUse, 0);
});
