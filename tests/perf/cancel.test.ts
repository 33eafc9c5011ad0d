// Bulk cancel without costs that grow faster than the work (issue 12): a stop flag set once by an
// outcome, a callback-only mode that keeps no outcome per operation, headers built once.
import assert from "node:assert/strict";
import { createClient } from "../../lib/api/client.ts";
import { cancelOperations, type CancelOutcome } from "../../lib/ops/cancel.ts";

const uuidAt = (i: number) => `019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}`;

/** A stand-in API: 202 for every DELETE, except a dropped connection for the listed indexes. */
function fakeApi(failAt: Set<number> = new Set()) {
  const seen: { url: string; headers: HeadersInit | undefined }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    seen.push({ url, headers: init?.headers });
    const i = parseInt(url.slice(-12), 16);
    if (failAt.has(i)) {
      return Promise.reject(new TypeError("error sending request: connection refused"));
    }
    return Promise.resolve(new Response(null, { status: 202 }));
  };
  const client = createClient({
    url: "http://127.0.0.1:9",
    auth: "jwt",
    token: "t0ken",
    fetch,
    retryDelays: [],
  });
  return { client, seen };
}

Deno.test("cancel: stopAfter sets a stop flag from one outcome; nothing new starts after it", async () => {
  const { client, seen } = fakeApi(new Set([5]));
  const uuids = Array.from({ length: 50 }, (_, i) => uuidAt(i));
  const calls: string[] = [];
  const report = await cancelOperations(client, uuids, {
    concurrency: 1,
    stopAfter: (o) => {
      calls.push(o.uuid);
      return Boolean(o.network);
    },
  });
  // One call per outcome, in order; the sixth (a network failure) stops the run.
  assert.deepEqual(calls, uuids.slice(0, 6));
  assert.equal(seen.length, 6);
  assert.equal(report.attempted, 6);
  assert.deepEqual(report.notAttempted, uuids.slice(6));
  assert.equal(report.outcomes[5].network, true);
});

Deno.test("cancel: keepOutcomes false keeps no outcome; onOutcome still sees each in order", async () => {
  const { client } = fakeApi(new Set([3]));
  const uuids = Array.from({ length: 20 }, (_, i) => uuidAt(i));
  const got: CancelOutcome[] = [];
  const report = await cancelOperations(client, [...uuids, "../x"], {
    concurrency: 4,
    keepOutcomes: false,
    onOutcome: (o) => got.push(o),
  });
  assert.deepEqual(report.outcomes, []);
  assert.equal(report.attempted, 21);
  assert.deepEqual(report.notAttempted, []);
  assert.deepEqual(got.map((o) => o.uuid), [...uuids, "../x"]);
  assert.deepEqual(got.map((o) => o.status).filter((s) => s !== "cancelled"), ["failed", "failed"]);
  // A success carries no error text.
  assert.deepEqual(got[0], { uuid: uuids[0], status: "cancelled" });
});

Deno.test("cancel: the client builds its headers once and sends the same ones every time", async () => {
  const { client, seen } = fakeApi();
  const uuids = Array.from({ length: 30 }, (_, i) => uuidAt(i));
  await cancelOperations(client, uuids, { concurrency: 8, keepOutcomes: false });
  assert.equal(seen.length, 30);
  const first = seen[0].headers;
  // A plain record in a `Headers`' order (lower-case names, sorted): the same bytes on the wire.
  assert.ok(first && !(first instanceof Headers) && !Array.isArray(first));
  assert.deepEqual(Object.keys(first), ["authorization", "user-agent"]);
  assert.equal(new Headers(first).get("authorization"), "Bearer t0ken");
  assert.ok(seen.every((s) => s.headers === first), "one headers object for every request");
});

Deno.test("cancel: without a token every UUID still fails on its own (headers error per request)", async () => {
  const fetch = () => Promise.resolve(new Response(null, { status: 202 }));
  const client = createClient({ url: "http://127.0.0.1:9", auth: "jwt", fetch, retryDelays: [] });
  const report = await cancelOperations(client, [uuidAt(1), uuidAt(2)]);
  assert.deepEqual(report.outcomes.map((o) => [o.status, o.error]), [
    [
      "failed",
      "API 0 Unauthorized: No token configured: set CONTREE_TOKEN (or CONTREE_TOKEN_FILE), pass --token, or add `token = ...` to the profile in auth.ini",
    ],
    [
      "failed",
      "API 0 Unauthorized: No token configured: set CONTREE_TOKEN (or CONTREE_TOKEN_FILE), pass --token, or add `token = ...` to the profile in auth.ini",
    ],
  ]);
});

Deno.test("cancel: a canonical list turning non-canonical midway is still deduplicated and ordered", async () => {
  const { client, seen } = fakeApi();
  const [a, b, c] = [uuidAt(1), uuidAt(2), uuidAt(3)];
  // Canonical and distinct up to the repeated `a`, then other spellings, a text that is not a
  // UUID, and repeats in any spelling.
  const input = [a, b, a, c.toUpperCase(), "../x", `{${b}}`, c, "../x"];
  const report = await cancelOperations(client, input, { concurrency: 2 });
  assert.deepEqual(report.outcomes.map((o) => [o.uuid, o.status]), [
    [a, "cancelled"],
    [b, "cancelled"],
    [c, "cancelled"],
    ["../x", "failed"],
    ["../x", "failed"],
  ]);
  assert.deepEqual(seen.map((s) => s.url.slice(-36)), [a, b, c]);
  assert.equal(report.attempted, 5);

  // Already canonical and distinct: every one attempted once, in order.
  const all = Array.from({ length: 12 }, (_, i) => uuidAt(100 + i));
  const again = await cancelOperations(fakeApi().client, all, { concurrency: 3 });
  assert.deepEqual(again.outcomes.map((o) => o.uuid), all);
});
