// Per-request timeouts from one shared deadline sweep (issue 12): thousands of requests arm a
// handful of timers, and the sweep still aborts a hung request, through the real CLI too.
import assert from "node:assert/strict";
import { createClient } from "../../lib/api/client.ts";
import { NetworkError } from "../../lib/api/errors.ts";
import { Interrupted } from "../../lib/async/abort.ts";
import { Deadlines } from "../../lib/async/deadlines.ts";
import { cancelOperations } from "../../lib/ops/cancel.ts";
import { lines, runContree, tempHome } from "../helpers.ts";

const uuidAt = (i: number) => `019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}`;

/** A fetch that never answers, rejecting only when its signal aborts. */
function hungFetch(seen: string[]) {
  return (input: string | URL | Request, init?: RequestInit) => {
    seen.push(String(input));
    return new Promise<Response>((_, reject) => {
      const signal = init?.signal;
      if (!signal) return; // hangs forever: the test then fails on its own deadline
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  };
}

Deno.test("deadlines: 2,000 requests arm a handful of timers, not one each", async () => {
  const realSetTimeout = globalThis.setTimeout;
  const realTimeout = AbortSignal.timeout;
  let armed = 0;
  // Counts every timer set while the requests run: plain ones and timeout signals.
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    armed++;
    return realSetTimeout(...args);
  }) as typeof setTimeout;
  AbortSignal.timeout = (ms: number) => {
    armed++;
    return realTimeout.call(AbortSignal, ms);
  };
  try {
    const fetch = () => Promise.resolve(new Response(null, { status: 202 }));
    const client = createClient({
      url: "http://127.0.0.1:9",
      auth: "jwt",
      token: "t",
      fetch,
      timeoutMs: 30_000,
    });
    const uuids = Array.from({ length: 2000 }, (_, i) => uuidAt(i));
    const report = await cancelOperations(client, uuids, { concurrency: 8 });
    assert.equal(report.outcomes.filter((o) => o.status === "cancelled").length, 2000);
  } finally {
    globalThis.setTimeout = realSetTimeout;
    AbortSignal.timeout = realTimeout;
  }
  assert.ok(armed >= 1 && armed <= 20, `${armed} timers armed for 2,000 requests`);
});

Deno.test("deadlines: the shared sweep aborts a hung request as timed out, not before", async () => {
  const seen: string[] = [];
  const client = createClient({
    url: "http://127.0.0.1:9",
    auth: "jwt",
    token: "t",
    fetch: hungFetch(seen),
    timeoutMs: 100,
    retryDelays: [],
  });
  const t0 = performance.now();
  const e = await client.request("DELETE", `/v1/operations/${uuidAt(1)}`).catch((e) => e);
  const waited = performance.now() - t0;
  assert.ok(e instanceof NetworkError, String(e));
  assert.equal(e.kind, "TimeoutError");
  assert.equal(e.message, `Request timed out: DELETE /v1/operations/${uuidAt(1)}`);
  assert.ok(waited >= 99, `aborted after ${waited} ms, before the 100 ms timeout`);
  assert.deepEqual(seen, [`http://127.0.0.1:9/v1/operations/${uuidAt(1)}`]);
});

Deno.test("deadlines: a request started after a slot fired gets a fresh deadline", async () => {
  const deadlines = new Deadlines(40);
  const first = deadlines.start();
  await new Promise((resolve) => first.signal.addEventListener("abort", resolve, { once: true }));
  assert.equal(first.timedOut(), true);
  assert.equal(deadlines.pending, 0); // a fired slot is forgotten
  const second = deadlines.start();
  assert.equal(second.signal.aborted, false);
  assert.equal(second.timedOut(), false);
  assert.equal(deadlines.pending, 1);
});

Deno.test("deadlines: the client's signal and a per-request signal still interrupt a hung request", async () => {
  const run = new AbortController();
  const client = createClient({
    url: "http://127.0.0.1:9",
    auth: "jwt",
    token: "t",
    fetch: hungFetch([]),
    timeoutMs: 60_000,
    retryDelays: [],
    signal: run.signal,
  });
  const own = new AbortController();
  const a = client.request("DELETE", `/v1/operations/${uuidAt(1)}`, [], { signal: own.signal })
    .catch((e) => e);
  own.abort();
  assert.ok((await a) instanceof Interrupted);
  const b = client.request("DELETE", `/v1/operations/${uuidAt(2)}`).catch((e) => e);
  run.abort();
  assert.ok((await b) instanceof Interrupted);
});

Deno.test("deadlines: `kill` against a server that never answers times out and reports it", async () => {
  // A hostile server: accepts, reads the request head, never answers.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf).catch(() => null);
      if (n) heads.push(new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0]);
    }
  })().catch(() => {});
  const url = `http://127.0.0.1:${listener.addr.port}`;
  using home = tempHome([{ token: "tok", url }]);
  try {
    const uuid = uuidAt(7);
    const r = await runContree(["kill", uuid], {
      home: home.path,
      env: { CONTREE_TIMEOUT: "0.3", CONTREE_CONCURRENCY: "1" },
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.deepEqual(lines(r.stderr), [
      "[WARNING] Stopped early: 0 cancelled, 1 failed, 0 not attempted",
      `[WARNING] Not cancelled: ${uuid}`,
      `[ERROR] Network error: Request timed out: DELETE /v1/operations/${uuid}`,
    ]);
    assert.deepEqual(heads, [`DELETE /v1/operations/${uuid} HTTP/1.1`]);
  } finally {
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    await accepting;
  }
});
