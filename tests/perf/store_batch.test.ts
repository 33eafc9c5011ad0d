// `--state` writes are batched (issue 12): the saves of one turn of the event loop are committed
// together by a microtask, before anything answered in that turn can reach the network.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { sqliteStore } from "../../lib/serve/dedupe/index.ts";
import { freshRecord as record } from "../../lib/serve/dedupe/fixtures.ts";

Deno.test("store: saves of one turn are committed together, before the next await resumes", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "contree-store-batch-" });
  const path = `${dir}/state.db`;
  const store = sqliteStore(path);
  const other = new DatabaseSync(path, { readOnly: true });
  const finals = () =>
    Number(
      (other.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'final'")
        .get() as { n: number }).n,
    );
  try {
    const ids = Array.from({ length: 50 }, (_, i) => `msg_${i}`);
    const claimed = ids.map((id) => store.claim(record(id), Date.now()).record);
    for (const r of claimed) store.save({ ...r, state: "final", codes: "c" });
    // Same turn: not one row written yet, but every read of this process sees them.
    assert.equal(finals(), 0, "no write per save");
    assert.equal(store.get("msg_7")?.state, "final");
    assert.equal(store.pendingWrites(), 50);
    // A handler's answer is sent only after its promise settles: the batch is in by then.
    await Promise.resolve();
    assert.equal(finals(), 50, "all committed at the end of the turn");
    assert.equal(store.pendingWrites(), 0);
  } finally {
    other.close();
    store.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("store: close() and flush() commit what the turn saved", () => {
  const dir = Deno.makeTempDirSync({ prefix: "contree-store-batch-" });
  const path = `${dir}/state.db`;
  try {
    const store = sqliteStore(path);
    const r = store.claim(record("a"), Date.now()).record;
    store.save({ ...r, state: "final", codes: "c" });
    store.close();
    const again = sqliteStore(path);
    assert.equal(again.get("a")?.state, "final");
    const b = again.claim(record("b"), Date.now()).record;
    again.save({ ...b, state: "final", codes: "n" });
    assert.equal(again.flush(), 0);
    const other = new DatabaseSync(path, { readOnly: true });
    const row = other.prepare("SELECT state FROM webhook_deliveries WHERE id = 'b'").get() as {
      state: string;
    };
    other.close();
    assert.equal(row.state, "final");
    again.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
