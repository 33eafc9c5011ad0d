// Issue 10 item 5: every listing loop is bounded, whatever the server does with `offset`.
import assert from "node:assert/strict";
import { lines, makeHome, spawnContree } from "../helpers.ts";
import { finishWithin, jsonResponse, startFake } from "./fake.ts";

/** `n` distinct canonical UUIDs whose last 12 digits count from `from`. */
function uuids(n: number, from = 0): string[] {
  return Array.from(
    { length: n },
    (_, i) => `019e3fb6-e2d8-7350-a8f9-${(from + i).toString(16).padStart(12, "0")}`,
  );
}

for (const concurrency of ["1", "8"]) {
  Deno.test(`kill --all: a server ignoring offset ends the listing with a WARNING (concurrency ${concurrency})`, async () => {
    const same = uuids(100).map((uuid) => ({ uuid, status: "PENDING" }));
    const api = startFake((req, url) => {
      if (req.method === "DELETE") return new Response(null, { status: 202 });
      return jsonResponse(url.searchParams.get("status") === "PENDING" ? same : []);
    });
    const home = makeHome([{ token: "tok", url: api.url }]);
    try {
      const r = await finishWithin(
        spawnContree(["kill", "--all"], { home, env: { CONTREE_CONCURRENCY: concurrency } }),
        20_000,
      );
      assert.equal(r.killed, false, `still paging after 20 s: ${api.requests.length} requests`);
      assert.equal(r.code, 0, r.stderr.slice(0, 500));
      const out = lines(r.stderr);
      assert.equal(
        out[0],
        "[WARNING] GET /v1/operations?status=PENDING&limit=100&offset=100 returned only operations already listed (the server seems to ignore offset); listing stopped there",
      );
      // The original's request pattern up to the repeat: offsets 0 and 100, then nothing more.
      assert.deepEqual(api.seen("GET", "status=PENDING").map((q) => q.target), [
        "/v1/operations?status=PENDING&limit=100&offset=0",
        "/v1/operations?status=PENDING&limit=100&offset=100",
      ]);
      assert.equal(api.seen("DELETE").length, 100);
      assert.equal(out.filter((l) => l.startsWith("[INFO] Cancelled operation")).length, 100);
    } finally {
      await api.close();
      Deno.removeSync(home, { recursive: true });
    }
  });
}

Deno.test("ps -a -M 100000: a server ignoring offset prints each row once, with a WARNING", async () => {
  const same = uuids(1000).map((uuid) => ({ uuid, status: "SUCCESS" }));
  const api = startFake(() => jsonResponse(same));
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    const r = await finishWithin(
      spawnContree(["ps", "-a", "-q", "-M", "100000"], { home }),
      20_000,
    );
    assert.equal(r.killed, false);
    assert.equal(r.code, 0, r.stderr.slice(0, 500));
    const printed = r.stdout.split("\n").filter(Boolean);
    assert.equal(printed.length, 1000, "each row printed once"); // (a diff of 100,000 rows is slow)
    assert.deepEqual(printed, same.map((o) => o.uuid));
    assert.deepEqual(lines(r.stderr), [
      "[WARNING] GET /v1/operations?offset=1000&limit=1000 returned only operations already listed (the server seems to ignore offset); listing stopped there",
    ]);
    // 8 pages in flight at the start plus the one started after page 0: bounded.
    assert.ok(api.requests.length <= 9, `${api.requests.length} requests`);
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("kill --all: a listing that never ends stops at the page cap with an error, no DELETE", async () => {
  // Every page is full of new UUIDs, forever.
  const api = startFake((_req, url) => {
    if (url.searchParams.get("status") !== "PENDING") return jsonResponse([]);
    const offset = Number(url.searchParams.get("offset"));
    return jsonResponse(uuids(100, offset + 1).map((uuid) => ({ uuid })));
  });
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    const r = await finishWithin(spawnContree(["kill", "--all"], { home }), 60_000);
    assert.equal(r.killed, false, `still paging: ${api.requests.length} requests`);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      "[ERROR] Listing of PENDING operations stopped at 1000 pages (GET /v1/operations?status=PENDING&limit=100&offset=99900 was still full); narrow the listing or cancel by UUID",
    ]);
    assert.equal(api.seen("GET", "status=PENDING").length, 1000);
    assert.equal(api.seen("DELETE").length, 0);
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("ps -M beyond the page cap: stops at 1000 pages with an error, rows already printed", async () => {
  // Every page is full of new UUIDs, forever.
  const api = startFake((_req, url) => {
    const offset = Number(url.searchParams.get("offset"));
    return jsonResponse(uuids(1000, offset + 1).map((uuid) => ({ uuid })));
  });
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    const r = await finishWithin(
      spawnContree(["ps", "-a", "-q", "-M", "5000000"], { home }),
      120_000,
    );
    assert.equal(r.killed, false, `still paging: ${api.requests.length} requests`);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      "[ERROR] Listing stopped at 1000 pages (GET /v1/operations?offset=999000&limit=1000 was still full); narrow it with --status/--kind/--since/--until",
    ]);
    assert.equal(api.requests.length, 1000);
    assert.equal(r.stdout.split("\n").filter(Boolean).length, 1_000_000);
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});
