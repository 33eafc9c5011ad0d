// Issue 10 item 6 (first half): every response body is read with a byte cap.
import assert from "node:assert/strict";
import { lines, makeHome, runContree, spawnContree } from "../helpers.ts";
import { finishWithin, startFake } from "./fake.ts";

const A = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
const CHUNK = new Uint8Array(1024 * 1024).fill(0x20); // 1 MiB of spaces (still valid JSON space)
const MAX_CHUNKS = 2048; // the stream is bounded too: 2 GiB at most

/** An answer that streams up to 2 GiB; Deno stops pulling it when the client goes away. */
function endless(status = 200): Response {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (sent++ >= MAX_CHUNKS) ctrl.close();
      else ctrl.enqueue(CHUNK);
    },
  });
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

/** Peak resident set size of a process in KiB (VmHWM), or the current one; 0 once it is gone. */
function peakRssKiB(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? /VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

Deno.test({
  name: "an endless body is cut at 64 MiB: one-line error naming the limit, exit 1, memory bounded",
  ignore: Deno.build.os !== "linux",
}, async () => {
  const api = startFake(() => endless());
  const home = makeHome([{ token: "tok", url: api.url }]);
  let peak = 0;
  let sampling = true;
  try {
    const child = spawnContree(["show", A], { home });
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, peakRssKiB(child.pid));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const r = await finishWithin(child, 60_000);
    sampling = false;
    await sampler;
    assert.equal(r.killed, false);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      `[ERROR] Response to GET /v1/operations/${A} is larger than the 64 MiB limit (CONTREE_MAX_RESPONSE_BYTES)`,
    ]);
    Deno.stderr.writeSync(
      new TextEncoder().encode(`peak RSS of the child: ${(peak / 1024).toFixed(0)} MiB\n`),
    );
    assert.ok(peak > 0, "RSS was sampled");
    assert.ok(peak < 300 * 1024, `peak RSS ${peak} KiB`);
    assert.equal(api.requests.length, 1, "not retried");
  } finally {
    sampling = false;
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("CONTREE_MAX_RESPONSE_BYTES: the cap applies to list pages, error bodies and a declared length", async () => {
  const api = startFake((req, url) => {
    if (req.method === "DELETE") return new Response("x".repeat(2000), { status: 500 });
    if (url.pathname === "/v1/operations") return endless();
    return new Response("[]".padEnd(5000, " "), { headers: { "content-length": "5000" } });
  });
  const home = makeHome([{ token: "tok", url: api.url }]);
  const env = { CONTREE_MAX_RESPONSE_BYTES: "1000", CONTREE_CONCURRENCY: "1" };
  try {
    const ps = await runContree(["ps"], { home, env });
    assert.equal(ps.code, 1);
    assert.deepEqual(lines(ps.stderr), [
      "[ERROR] Response to GET /v1/operations?status=EXECUTING&offset=0&limit=1000 is larger than the 1000 bytes limit (CONTREE_MAX_RESPONSE_BYTES)",
    ]);
    const kill = await runContree(["kill", A], { home, env });
    assert.equal(kill.code, 1);
    assert.deepEqual(lines(kill.stderr), [
      `[ERROR] Failed to cancel ${A}: Response to DELETE /v1/operations/${A} is larger than the 1000 bytes limit (CONTREE_MAX_RESPONSE_BYTES)`,
    ]);
    const show = await runContree(["show", A], { home, env });
    assert.equal(show.code, 1);
    assert.deepEqual(lines(show.stderr), [
      `[ERROR] Response to GET /v1/operations/${A} is larger than the 1000 bytes limit (CONTREE_MAX_RESPONSE_BYTES)`,
    ]);
    const bad = await runContree(["kill", A], { home, env: { CONTREE_MAX_RESPONSE_BYTES: "0" } });
    assert.equal(bad.code, 1);
    assert.deepEqual(lines(bad.stderr), [
      "[ERROR] CONTREE_MAX_RESPONSE_BYTES must be an integer >= 1, got '0'",
    ]);
    assert.equal(api.seen("DELETE").length, 1, "an oversized answer is not retried");
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});
