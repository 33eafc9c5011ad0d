// --serve `{"all": true}` when the API lists an operation's UUID in another spelling (upper
// case): the delivery records the outcome under the UUID it listed and is done, with one DELETE.
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { homeFor } from "../helpers.ts";
import { post, standardHeaders, startServe } from "./helpers.ts";

const FAST = { CONTREE_WEBHOOK_RATE: "0", CONTREE_RETRY_DELAYS: "0.01" };

Deno.test('--serve: {"all": true} with a UUID listed in upper case is done after one DELETE', async () => {
  const emu = await startEmulator();
  try {
    const plain = emu.add({ status: "PENDING" }).uuid;
    const upper = emu.add({ status: "EXECUTING" }).uuid;
    // The API lists (and knows) it in upper case: the canonical DELETE is answered 404.
    const op = emu.ops.get(upper)!;
    emu.ops.delete(upper);
    emu.add({ ...op, uuid: upper.toUpperCase() });
    const server = await startServe({ home: homeFor(emu), env: FAST });
    try {
      const body = JSON.stringify({ all: true });
      const r = await post(server.url, body, await standardHeaders(body));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.status, "done", r.text);
      assert.deepEqual(
        (r.json.outcomes as { uuid: string; status: string }[]).map((o) => [o.uuid, o.status]),
        [[plain, "cancelled"], [upper, "not_found"]],
      );
      assert.equal(emu.seen("DELETE", upper).length, 1);
      assert.equal(emu.seen("DELETE").length, 2);
    } finally {
      await server.stop("SIGKILL");
    }
  } finally {
    await emu.close();
  }
});
