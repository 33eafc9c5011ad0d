// Issue 10 item 8: odd `Retry-After` values never make a hot retry loop.
import assert from "node:assert/strict";
import { lines, makeHome, runContree } from "../helpers.ts";
import { startFake } from "./fake.ts";

const A = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";

for (const value of ["0", "-5", "0.5", "soon"]) {
  Deno.test(`kill: 429 with Retry-After ${JSON.stringify(value)} waits the normal back-off step`, async () => {
    const api = startFake(() =>
      new Response("slow down", { status: 429, headers: { "retry-after": value } })
    );
    const home = makeHome([{ token: "tok", url: api.url }]);
    try {
      const r = await runContree(["kill", A], {
        home,
        env: { CONTREE_RETRY_DELAYS: "0.2,0.2" },
      });
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stderr), [
        "[WARNING] Rate limited (429), retrying in 0.2s…",
        "[WARNING] Rate limited (429), retrying in 0.2s…",
        `[ERROR] Failed to cancel ${A}: API 429 Too Many Requests: slow down`,
      ]);
      // The schedule bounds the attempts: three, not a burst.
      assert.equal(api.seen("DELETE").length, 3);
    } finally {
      await api.close();
      Deno.removeSync(home, { recursive: true });
    }
  });
}
