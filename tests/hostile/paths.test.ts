// Issue 10 item 4 (and 8, duplicate spellings): nothing from the API goes unchecked into a path.
import assert from "node:assert/strict";
import { lines, makeHome, runContree } from "../helpers.ts";
import { jsonResponse, startFake } from "./fake.ts";

const GOOD = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
const OTHER = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda80";

for (const concurrency of ["1", "8"]) {
  Deno.test(`kill --all: listed rows that are not UUIDs are errors and never sent (concurrency ${concurrency})`, async () => {
    const rows: Record<string, { uuid: string }[]> = {
      PENDING: [{ uuid: "../../etc/passwd?x=1#" }, { uuid: GOOD }, { uuid: "\u001b[2J\nfake" }],
      // The same operation in another spelling under another status: cancelled once.
      ASSIGNED: [{ uuid: `{${GOOD.toUpperCase()}}` }, { uuid: OTHER }],
      EXECUTING: [{ uuid: `urn:uuid:${OTHER}` }],
    };
    const api = startFake((req, url) => {
      if (req.method === "DELETE") return new Response(null, { status: 202 });
      return jsonResponse(rows[url.searchParams.get("status")!] ?? []);
    });
    const home = makeHome([{ token: "tok", url: api.url }]);
    try {
      const r = await runContree(["kill", "--all"], {
        home,
        env: { CONTREE_CONCURRENCY: concurrency },
      });
      assert.equal(r.code, 1, r.stderr);
      // Arrival order varies with concurrency; the log below is in input order.
      assert.deepEqual(api.seen("DELETE").map((q) => q.target).sort(), [
        `/v1/operations/${GOOD}`,
        `/v1/operations/${OTHER}`,
      ]);
      assert.ok(!api.requests.some((q) => q.target.includes("etc")), "nothing sent for ../");
      assert.deepEqual(lines(r.stderr), [
        '[ERROR] Failed to cancel: Invalid operation UUID "../../etc/passwd?x=1#": badly formed hexadecimal UUID string',
        `[INFO] Cancelled operation ${GOOD}`,
        '[ERROR] Failed to cancel: Invalid operation UUID "\\u001b[2J\\nfake": badly formed hexadecimal UUID string',
        `[INFO] Cancelled operation ${OTHER}`,
      ]);
      assert.ok(!r.stderr.includes("\u001b"), "no raw control character reaches the terminal");
    } finally {
      await api.close();
      Deno.removeSync(home, { recursive: true });
    }
  });
}

Deno.test("op wait --all: a listed row that is not a UUID is reported, never requested", async () => {
  const api = startFake((_req, url) => {
    if (url.pathname === "/v1/operations") {
      const status = url.searchParams.get("status");
      return jsonResponse(status === "PENDING" ? [{ uuid: "../x" }, { uuid: GOOD }] : []);
    }
    return jsonResponse({ uuid: GOOD, status: "SUCCESS" });
  });
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    const r = await runContree(["-f", "json", "op", "wait", "--all"], { home });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      '[ERROR] Invalid operation UUID "../x" listed; not waiting for it',
    ]);
    assert.deepEqual(
      api.requests.filter((q) => !q.target.startsWith("/v1/operations?")).map((q) => q.target),
      [`/v1/operations/${GOOD}`],
    );
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});
