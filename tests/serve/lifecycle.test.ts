// --serve end to end: the deadline (202, then the result at GET), dedupe across a restart with
// --state, and graceful shutdown with cancels in flight.
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { homeFor, NO_CHILD_SIGNALS } from "../helpers.ts";
import { get, post, standardHeaders, startServe, waitFor } from "./helpers.ts";

const READ = { CONTREE_WEBHOOK_READ_TOKEN: "reader" };
const bearer = { authorization: "Bearer reader" };

Deno.test("--serve: past the deadline the answer is 202, and the result appears at GET", async () => {
  await using emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { ...READ, CONTREE_WEBHOOK_RATE: "0" },
    args: ["--deadline", "0.2"],
  });
  try {
    const [op] = emu.seed(1);
    emu.fault({ method: "DELETE", delayMs: 800 });
    const body = JSON.stringify({ uuids: [op.uuid] });
    const headers = await standardHeaders(body, { id: "msg_slow" });
    const t0 = performance.now();
    const r = await post(server.url, body, headers);
    assert.ok(performance.now() - t0 < 700, "answered at the deadline");
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.json.id, "msg_slow");
    assert.equal(r.json.status, "pending");
    assert.equal(r.json.result, "/v1/cancel/msg_slow");
    // A retry while it runs: still pending, no second DELETE.
    assert.equal((await post(server.url, body, headers)).status, 202);
    const pending = await get(`${server.url}/v1/cancel/msg_slow`, bearer);
    assert.equal(pending.status, 202);
    // No event to await from outside: poll the result (bounded by waitFor's deadline).
    const final = await waitFor("the final result", async () => {
      const res = await get(`${server.url}/v1/cancel/msg_slow`, bearer);
      return res.status === 200 && res;
    });
    const result = JSON.parse(final.text);
    assert.deepEqual(result.outcomes, [{ uuid: op.uuid, status: "cancelled" }]);
    // The replayed delivery now gets the final result, the same body as the GET.
    const replay = await post(server.url, body, headers);
    assert.equal(replay.status, 200);
    assert.equal(replay.text, final.text);
    assert.equal(emu.seen("DELETE").length, 1);
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve --state: dedupe survives a restart", async () => {
  await using emu = await startEmulator();
  const dir = Deno.makeTempDirSync();
  const home = homeFor(emu);
  const args = ["--state", `${dir}/state.db`];
  const env = { CONTREE_WEBHOOK_RATE: "0" };
  try {
    const [op] = emu.seed(1);
    const body = JSON.stringify({ uuids: [op.uuid] });
    const headers = await standardHeaders(body, { id: "msg_restart" });
    const first = await startServe({ home, env, args });
    let answer;
    try {
      answer = await post(first.url, body, headers);
      assert.equal(answer.status, 200);
    } finally {
      const stopped = await first.stop();
      assert.equal(stopped.code, 0);
    }
    const second = await startServe({ home, env, args });
    try {
      const replay = await post(second.url, body, headers);
      assert.equal(replay.status, 200);
      assert.equal(replay.text, answer.text);
      assert.equal(emu.seen("DELETE").length, 1, "no second DELETE after the restart");
    } finally {
      await second.stop("SIGKILL");
    }
  } finally {
    await emu.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "--serve: SIGTERM with cancels in flight loses nothing, exits 0",
  ignore: NO_CHILD_SIGNALS,
}, async () => {
  await using emu = await startEmulator();
  const dir = Deno.makeTempDirSync();
  const home = homeFor(emu);
  const args = ["--state", `${dir}/state.db`, "--deadline", "0.2"];
  const env = { ...READ, CONTREE_WEBHOOK_RATE: "0", CONTREE_CONCURRENCY: "1" };
  try {
    const ops = emu.seed(4);
    // Delivery 1 waits for its answer (deadline 10 s is not reached: its own server below).
    // Delivery 2 was answered 202 and runs in the background when the signal arrives.
    emu.fault({ method: "DELETE", delayMs: 300, times: 4 });
    const server = await startServe({ home, env, args });
    const bgBody = JSON.stringify({ uuids: ops.slice(0, 3).map((o) => o.uuid) });
    const bg = await post(server.url, bgBody, await standardHeaders(bgBody, { id: "msg_bg" }));
    assert.equal(bg.status, 202);
    const stopped = await server.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /SIGTERM: shutting down, finishing 1 delivery\(ies\) in flight/);
    assert.deepEqual(
      ops.slice(0, 3).map((o) => emu.ops.get(o.uuid)!.status),
      ["CANCELLED", "CANCELLED", "CANCELLED"],
    );
    // The background result was stored before exit: a restarted server answers it.
    const again = await startServe({ home, env, args });
    try {
      const r = await get(`${again.url}/v1/cancel/msg_bg`, bearer);
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.text).counts.cancelled, 3);
    } finally {
      await again.stop("SIGKILL");
    }
  } finally {
    await emu.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "--serve: SIGINT while a request waits for its cancel: the answer arrives, exit 0",
  ignore: NO_CHILD_SIGNALS,
}, async () => {
  await using emu = await startEmulator();
  const server = await startServe({ home: homeFor(emu), env: { CONTREE_WEBHOOK_RATE: "0" } });
  try {
    const [op] = emu.seed(1);
    emu.fault({ method: "DELETE", delayMs: 500 });
    const body = JSON.stringify({ uuids: [op.uuid] });
    const pending = post(server.url, body, await standardHeaders(body));
    await emu.waitFor("DELETE", op.uuid); // the cancel is under way (the API holds it 500 ms)
    const stopping = server.stop("SIGINT");
    const r = await pending;
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.outcomes, [{ uuid: op.uuid, status: "cancelled" }]);
    const { code } = await stopping;
    assert.equal(code, 0);
    assert.equal(emu.ops.get(op.uuid)!.status, "CANCELLED");
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});
