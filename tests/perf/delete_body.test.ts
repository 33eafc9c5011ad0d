// A DELETE's 2xx body is never used: it is read to its end (a cut-off answer stays a network
// error, see "kill: a dropped connection is retried" in tests/cli/kill.test.ts) but neither kept
// nor decoded (issue 12: less allocated per DELETE). Error answers are still read for their
// message, the debug log still shows the body, and the connection is still reused.
import assert from "node:assert/strict";
import { lines, runContree, tempHome } from "../helpers.ts";

const uuidAt = (i: number) => `019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}`;

/** What the fake API does for one DELETE (by the UUID's index). */
type Answer = (i: number) => Response;

/**
 * A fake API on 127.0.0.1 answering `DELETE /v1/operations/{uuid}` with `answer(index)`; it
 * records each request's client port (one per connection) and the DELETEs it saw.
 */
async function withApi(answer: Answer, fn: (url: string, seen: SeenLog) => Promise<void>) {
  const seen: SeenLog = { deletes: [], ports: new Set() };
  const ready = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => ready.resolve(port),
  }, (req, info) => {
    seen.ports.add((info.remoteAddr as Deno.NetAddr).port);
    const path = new URL(req.url).pathname;
    const m = /^\/v1\/operations\/([0-9a-f-]{36})$/.exec(path);
    if (req.method !== "DELETE" || !m) return new Response("no", { status: 400 });
    seen.deletes.push(m[1]);
    return answer(parseInt(m[1].slice(-12), 16));
  });
  try {
    await fn(`http://127.0.0.1:${await ready.promise}`, seen);
  } finally {
    await server.shutdown();
  }
}

interface SeenLog {
  deletes: string[];
  ports: Set<number>;
}

/** A chunked (no Content-Length) body of `n` bytes, sent in a few pieces. */
function chunked(n: number, status: number): Response {
  const piece = new TextEncoder().encode("x".repeat(Math.ceil(n / 4)));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (sent >= n) return ctrl.close();
      ctrl.enqueue(piece);
      sent += piece.length;
    },
  });
  return new Response(body, { status, headers: { "content-type": "text/plain" } });
}

Deno.test("kill: a 2xx DELETE's body is not kept (a body over the size limit still succeeds)", async () => {
  await withApi((i) => chunked(i === 1 ? 4000 : 10, 202), async (url, seen) => {
    using home = tempHome([{ token: "t", url }]);
    const uuids = [uuidAt(0), uuidAt(1), uuidAt(2)];
    const r = await runContree(["kill", ...uuids], {
      home: home.path,
      // A kept body would be over this limit (an error); a dropped one never is.
      env: { CONTREE_MAX_RESPONSE_BYTES: "1000", CONTREE_CONCURRENCY: "1" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(lines(r.stderr), uuids.map((u) => `[INFO] Cancelled operation ${u}`));
    assert.deepEqual(seen.deletes, uuids);
  });
});

Deno.test("kill: an endless 2xx DELETE body is read up to the size limit, then dropped", async () => {
  const piece = new TextEncoder().encode("x".repeat(512));
  const endless = () =>
    new Response(new ReadableStream<Uint8Array>({ pull: (ctrl) => ctrl.enqueue(piece) }), {
      status: 202,
    });
  await withApi(endless, async (url, seen) => {
    using home = tempHome([{ token: "t", url }]);
    const uuids = [uuidAt(0), uuidAt(1)];
    const r = await runContree(["kill", ...uuids], {
      home: home.path,
      // Waiting for the end would run into the 60 s timeout and be retried as a network error.
      env: {
        CONTREE_MAX_RESPONSE_BYTES: "4096",
        CONTREE_TIMEOUT: "60",
        CONTREE_RETRY_DELAYS: "",
        CONTREE_CONCURRENCY: "1",
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stderr), uuids.map((u) => `[INFO] Cancelled operation ${u}`));
    assert.deepEqual(seen.deletes, uuids);
  });
});

Deno.test("kill: error answers are still read: their text is reported, the size limit holds", async () => {
  const detail = (status: number, text: string) =>
    Response.json({ detail: text }, { status, headers: { "content-type": "application/json" } });
  const answers: Record<number, () => Response> = {
    0: () => detail(404, "Operation not found"),
    1: () => detail(409, "Operation already finished"),
    2: () => new Response(null, { status: 202 }),
    3: () => chunked(4000, 404), // an error body over the limit: still an error, named so
  };
  await withApi((i) => answers[i](), async (url, seen) => {
    using home = tempHome([{ token: "t", url }]);
    const uuids = [0, 1, 2, 3].map(uuidAt);
    const r = await runContree(["kill", ...uuids], {
      home: home.path,
      env: { CONTREE_MAX_RESPONSE_BYTES: "1000", CONTREE_CONCURRENCY: "1" },
    });
    assert.equal(r.code, 1, r.stderr);
    const log = lines(r.stderr);
    assert.equal(log.length, 4, r.stderr);
    assert.match(
      log[0],
      new RegExp(`^\\[ERROR\\] Failed to cancel ${uuids[0]}: .*Operation not found`),
    );
    assert.match(
      log[1],
      new RegExp(`^\\[ERROR\\] Failed to cancel ${uuids[1]}: .*Operation already finished`),
    );
    assert.equal(log[2], `[INFO] Cancelled operation ${uuids[2]}`);
    assert.match(
      log[3],
      new RegExp(`^\\[ERROR\\] Failed to cancel ${uuids[3]}: .*larger than the 1000 bytes limit`),
    );
    assert.deepEqual(seen.deletes, uuids);
  });
});

Deno.test("kill: DELETEs whose bodies are dropped still share one connection", async () => {
  const body = (i: number) =>
    Response.json({ uuid: uuidAt(i), status: "CANCELLED" }, { status: 202 });
  await withApi(body, async (url, seen) => {
    using home = tempHome([{ token: "t", url }]);
    const uuids = Array.from({ length: 20 }, (_, i) => uuidAt(i));
    const r = await runContree(["-L", "warning", "kill", ...uuids], {
      home: home.path,
      env: { CONTREE_CONCURRENCY: "1" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(seen.deletes.length, 20);
    // One request at a time over keep-alive: a connection closed per request would show 20.
    assert.ok(seen.ports.size <= 2, `${seen.ports.size} connections for 20 DELETEs`);
  });
});

Deno.test("kill: at debug level a 2xx DELETE's body is still read and logged", async () => {
  const body = (i: number) =>
    Response.json({ uuid: uuidAt(i), status: "CANCELLED" }, { status: 202 });
  await withApi(body, async (url) => {
    using home = tempHome([{ token: "t", url }]);
    const r = await runContree(["-L", "debug", "kill", uuidAt(7)], { home: home.path });
    assert.equal(r.code, 0, r.stderr);
    const want = `DELETE /v1/operations/${uuidAt(7)} response body: {"uuid":"${
      uuidAt(7)
    }","status":"CANCELLED"}`;
    assert.ok(lines(r.stderr).some((l) => l.endsWith(want)), r.stderr);
  });
});
