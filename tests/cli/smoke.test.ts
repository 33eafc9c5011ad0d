import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { homeFor, lines, runContree } from "../helpers.ts";

Deno.test("kill cancels one operation with one DELETE", async () => {
  await using emu = await startEmulator();
  try {
    const [op] = emu.seed(1, { status: "EXECUTING" });
    const r = await runContree(["kill", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(lines(r.stderr), [`[INFO] Cancelled operation ${op.uuid}`]);
    assert.deepEqual(emu.seen("DELETE").map((q) => q.path), [`/v1/operations/${op.uuid}`]);
    assert.equal(emu.ops.get(op.uuid)!.status, "CANCELLED");
  } finally {
    await emu.close();
  }
});
