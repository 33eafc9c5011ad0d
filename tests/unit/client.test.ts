import assert from "node:assert/strict";
import {
  createClient,
  describeBody,
  redactHeaders,
  retryAfterSeconds,
} from "../../lib/api/client.ts";
import { ApiError } from "../../lib/api/errors.ts";
import { orderedPool } from "../../lib/async/pool.ts";

Deno.test("client: URL parts — scheme default, prefix without trailing slash", async () => {
  const seen: string[] = [];
  const fetch = (url: string | URL | Request) => {
    seen.push(String(url));
    return Promise.resolve(new Response("[]", { status: 200 }));
  };
  const client = createClient({ url: "contree.dev/api/", auth: "jwt", token: "t", fetch });
  await client.getJson("/v1/operations", [["status", "EXECUTING"], [
    "since",
    "2025-01-02T00:00:00Z",
  ]]);
  assert.deepEqual(seen, [
    "https://contree.dev/api/v1/operations?status=EXECUTING&since=2025-01-02T00%3A00%3A00Z",
  ]);
});

Deno.test("client: error text, empty reason phrase falls back, 4xx not retried", async () => {
  let calls = 0;
  const fetch = () => {
    calls++;
    return Promise.resolve(new Response('{"error":"gone"}', { status: 404, statusText: "" }));
  };
  const client = createClient({
    url: "http://h",
    auth: "jwt",
    token: "t",
    fetch,
    retryDelays: [0],
  });
  await assert.rejects(client.request("DELETE", "/v1/operations/x"), (e: ApiError) => {
    assert.equal(e.message, 'API 404 Not Found: {"error":"gone"}');
    assert.equal(e.status, 404);
    assert.equal(e.body, '{"error":"gone"}');
    return true;
  });
  assert.equal(calls, 1);
});

Deno.test("client: 5xx then success sleeps the scheduled delays; a JSON error is clear", async () => {
  const answers = [503, 503, 200];
  const slept: number[] = [];
  const client = createClient({
    url: "http://h",
    auth: "jwt",
    token: "t",
    fetch: () => Promise.resolve(new Response("not json", { status: answers.shift() })),
    sleep: (ms) => Promise.resolve(void slept.push(ms)),
  });
  await assert.rejects(client.getJson("/v1/operations"), {
    message: 'Malformed response from GET /v1/operations: not JSON: "not json"',
  });
  assert.deepEqual(slept, [1000, 2000]);
});

Deno.test("client: Retry-After in seconds or as a date, capped at 60 s", () => {
  assert.equal(retryAfterSeconds("3"), 3);
  assert.equal(retryAfterSeconds("600"), 60);
  assert.equal(retryAfterSeconds(new Date(10_000).toUTCString(), 5_000), 5);
  assert.equal(retryAfterSeconds(null), undefined);
  assert.equal(retryAfterSeconds("soon"), undefined);
});

Deno.test("client: Retry-After edge values — only a non-negative integer or an IMF-fixdate", () => {
  assert.equal(retryAfterSeconds("-5"), undefined);
  assert.equal(retryAfterSeconds("0.5"), undefined);
  assert.equal(retryAfterSeconds("1e3"), undefined);
  assert.equal(retryAfterSeconds(""), undefined);
  assert.equal(retryAfterSeconds("0"), 0);
  assert.equal(retryAfterSeconds(" 7 "), 7);
  // Above the timer limit (2^31 ms) or absurdly long: the 60 s cap, never an overflow.
  assert.equal(retryAfterSeconds("2147484"), 60);
  assert.equal(retryAfterSeconds("99999999999999999999"), undefined);
  const now = Date.UTC(1994, 10, 6, 8, 49, 37);
  assert.equal(retryAfterSeconds("Sun, 06 Nov 1994 08:49:47 GMT", now), 10);
  assert.equal(retryAfterSeconds("Sun, 06 Nov 1994 08:48:37 GMT", now), 0); // in the past
  assert.equal(retryAfterSeconds("Sun, 06 Nov 1994 09:49:37 GMT", now), 60);
  // Other date forms `Date.parse` would take are refused.
  assert.equal(retryAfterSeconds("Sunday, 06-Nov-94 08:49:47 GMT", now), undefined);
  assert.equal(retryAfterSeconds("1994-11-06T08:49:47Z", now), undefined);
  assert.equal(retryAfterSeconds("Sun, 31 Nov 1994 08:49:47 GMT", now), undefined);
});

Deno.test("client: a 429 waits at least the normal back-off step, at most 60 s", async () => {
  for (
    const [header, expected] of [
      ["0", [1000, 2000]],
      ["-5", [1000, 2000]],
      ["0.5", [1000, 2000]],
      ["3", [3000, 3000]],
      ["86400", [60_000, 60_000]],
    ] as const
  ) {
    const slept: number[] = [];
    const answers = [429, 429, 202];
    const client = createClient({
      url: "http://h",
      auth: "jwt",
      token: "t",
      fetch: () =>
        Promise.resolve(
          new Response(null, { status: answers.shift(), headers: { "retry-after": header } }),
        ),
      sleep: (ms) => Promise.resolve(void slept.push(ms)),
    });
    await client.request("DELETE", "/v1/operations/x");
    assert.deepEqual(slept, expected, header);
  }
});

Deno.test("client: an aborted signal stops a request and its back-off with Interrupted", async () => {
  const run = new AbortController();
  let calls = 0;
  const client = createClient({
    url: "http://h",
    auth: "jwt",
    token: "t",
    signal: run.signal,
    fetch: () => {
      calls++;
      return Promise.resolve(new Response("busy", { status: 503 }));
    },
    sleep: (_ms, signal) =>
      new Promise((_, reject) => {
        signal!.addEventListener("abort", () => reject(signal!.reason));
        run.abort(); // Ctrl-C arrives during the back-off
      }),
  });
  await assert.rejects(client.request("GET", "/v1/operations"), { name: "Interrupted" });
  assert.equal(calls, 1);
  // Per-request signals stop only their own request.
  const one = new AbortController();
  one.abort();
  const other = createClient({
    url: "http://h",
    auth: "jwt",
    token: "t",
    fetch: () => Promise.resolve(new Response("{}")),
  });
  await assert.rejects(other.request("GET", "/x", [], { signal: one.signal }), {
    name: "Interrupted",
  });
  assert.deepEqual(await other.getJson("/x"), {});
});

Deno.test("debug rendering redacts secret headers and summarises bodies", () => {
  assert.equal(
    redactHeaders([["Authorization", "Bearer x"], ["COOKIE", "c"], ["Project", "p"]]),
    "{'Authorization': '<redacted>', 'COOKIE': '<redacted>', 'Project': 'p'}",
  );
  assert.equal(describeBody("", null), "<empty>");
  assert.equal(
    describeBody("x".repeat(5000), "application/json", 100),
    `${"x".repeat(100)}... <truncated, 5000B total>`,
  );
  assert.equal(
    describeBody("abc", "application/octet-stream"),
    "<binary 3B Content-Type='application/octet-stream'>",
  );
});

Deno.test("orderedPool: bounded concurrency, results reported in input order", async () => {
  let inFlight = 0;
  let peak = 0;
  const order: number[] = [];
  const delays = [30, 5, 20, 1, 15, 2, 8, 3];
  const started = await orderedPool(delays, 3, async (ms) => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    return ms;
  }, (_, r) => order.push(r));
  assert.equal(started, 8);
  assert.equal(peak, 3);
  assert.deepEqual(order, delays);
});

Deno.test("orderedPool: stop starts nothing new; a throwing task is rethrown after the rest", async () => {
  const seen: number[] = [];
  let stop = false;
  const started = await orderedPool(
    [1, 2, 3, 4, 5],
    1,
    (n) => {
      if (n === 2) stop = true;
      return Promise.resolve(n);
    },
    (n) => seen.push(n),
    () => stop,
  );
  assert.equal(started, 2);
  assert.deepEqual(seen, [1, 2]);
  const reported: number[] = [];
  await assert.rejects(
    orderedPool(
      [1, 2, 3],
      3,
      (n) => n === 2 ? Promise.reject(new Error("x")) : Promise.resolve(n),
      (n) => reported.push(n),
    ),
    { message: "x" },
  );
  assert.deepEqual(reported, [1, 3]);
});
