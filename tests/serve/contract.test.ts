// --serve delivery contract: a 2xx means done (or, for 202, still being worked on by this server),
// a retryable failure is a 503 with Retry-After, a replay re-attempts only what is not final,
// background retries, shutdown past the grace period, and two servers sharing one --state file.
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { homeFor, NO_CHILD_SIGNALS } from "../helpers.ts";
import { get, post, standardHeaders, startServe, waitFor } from "./helpers.ts";

const bearer = { authorization: "Bearer reader" };
const READ = { CONTREE_WEBHOOK_READ_TOKEN: "reader", CONTREE_WEBHOOK_RATE: "0" };

Deno.test("--serve: a retryable failure answers 503 + Retry-After; the replay re-attempts only the rest", async () => {
  await using emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { ...READ, CONTREE_RETRY_DELAYS: "0.01", CONTREE_CONCURRENCY: "1" },
  });
  try {
    const [a, b, c] = emu.seed(3);
    // Both tries of the first DELETE fail with 503; the other two are cancelled.
    emu.fault({ method: "DELETE", status: 503, times: 2 });
    const body = JSON.stringify({ uuids: [a.uuid, b.uuid, c.uuid] });
    const headers = await standardHeaders(body, { id: "msg_retryable" });
    const r = await post(server.url, body, headers);
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.equal(r.json.status, "incomplete");
    const outcomes = r.json.outcomes as Record<string, unknown>[];
    assert.deepEqual(outcomes.map((o) => [o.uuid, o.status, o.retryable ?? false]), [
      [a.uuid, "failed", true],
      [b.uuid, "cancelled", false],
      [c.uuid, "cancelled", false],
    ]);
    // The GET says the same: not final.
    assert.equal((await get(`${server.url}/v1/cancel/msg_retryable`, bearer)).status, 503);
    const replay = await post(server.url, body, headers);
    assert.equal(replay.status, 200, replay.text);
    assert.equal(replay.json.status, "done");
    assert.deepEqual(
      (replay.json.outcomes as Record<string, unknown>[]).map((o) => [o.uuid, o.status]),
      [[a.uuid, "cancelled"], [b.uuid, "cancelled"], [c.uuid, "cancelled"]],
    );
    const deletes = (u: string) => emu.seen("DELETE", u).length;
    assert.deepEqual([deletes(a.uuid), deletes(b.uuid), deletes(c.uuid)], [3, 1, 1]);
    // Final now: a further replay is answered from the store, with no request to the API.
    const third = await post(server.url, body, headers);
    assert.equal(third.status, 200);
    assert.equal(third.text, replay.text);
    assert.equal(emu.seen("DELETE").length, 5);
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve: the listing for all:true failing is a 503, and the replay lists again", async () => {
  await using emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { ...READ, CONTREE_RETRY_DELAYS: "" },
  });
  try {
    const [op] = emu.seed(1, { status: "EXECUTING" });
    emu.fault({ method: "GET", status: 502, times: 1 });
    const body = JSON.stringify({ all: true });
    const headers = await standardHeaders(body, { id: "msg_all" });
    const r = await post(server.url, body, headers);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error, "upstream_error");
    assert.match(String(r.json.message), /listing active operations failed/);
    assert.match(r.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    const replay = await post(server.url, body, headers);
    assert.equal(replay.status, 200, replay.text);
    assert.deepEqual(replay.json.outcomes, [{ uuid: op.uuid, status: "cancelled" }]);
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve: a 202 delivery is retried in the background until it is done", async () => {
  await using emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { ...READ, CONTREE_RETRY_DELAYS: "0.01" },
    args: ["--deadline", "0.2"],
  });
  try {
    const [op] = emu.seed(1);
    emu.fault({ method: "DELETE", status: 503, times: 2, delayMs: 200 });
    const body = JSON.stringify({ uuids: [op.uuid] });
    const r = await post(server.url, body, await standardHeaders(body, { id: "msg_bg" }));
    assert.equal(r.status, 202, r.text);
    const retrying = await waitFor("GET to show retrying", async () => {
      const g = await get(`${server.url}/v1/cancel/msg_bg`, bearer);
      return g.status === 202 && JSON.parse(g.text).status === "retrying" && JSON.parse(g.text);
    });
    assert.deepEqual(
      retrying.outcomes.map((o: Record<string, unknown>) => [o.uuid, o.status, o.retryable]),
      [[op.uuid, "failed", true]],
    );
    // A replay while it is being retried: still 202 (and it triggers the retry at once).
    const replay = await post(server.url, body, await standardHeaders(body, { id: "msg_bg" }));
    assert.equal(replay.status, 202, replay.text);
    const done = await waitFor("the background retry", async () => {
      const g = await get(`${server.url}/v1/cancel/msg_bg`, bearer);
      return g.status === 200 && JSON.parse(g.text);
    });
    assert.deepEqual(done.outcomes, [{ uuid: op.uuid, status: "cancelled" }]);
    assert.equal(emu.seen("DELETE").length, 3);
    assert.equal(emu.ops.get(op.uuid)!.status, "CANCELLED");
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test({
  name: "--serve --state: SIGTERM past the grace period answers 503; a restart resumes the rest",
  ignore: NO_CHILD_SIGNALS,
}, async () => {
  await using emu = await startEmulator();
  const dir = Deno.makeTempDirSync();
  const home = homeFor(emu);
  const args = ["--state", `${dir}/state.db`];
  const env = { ...READ, CONTREE_CONCURRENCY: "1", CONTREE_WEBHOOK_GRACE: "0.3" };
  try {
    const ops = emu.seed(4);
    emu.fault({ method: "DELETE", delayMs: 400, times: 4 });
    const server = await startServe({ home, env, args });
    const body = JSON.stringify({ uuids: ops.map((o) => o.uuid) });
    const pending = post(server.url, body, await standardHeaders(body, { id: "msg_term" }));
    await waitFor("the first DELETE", () => emu.seen("DELETE").length >= 1);
    const stopped = await server.stop("SIGTERM");
    const r = await pending;
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.equal(r.json.status, "incomplete");
    assert.equal(stopped.code, 0, stopped.stderr);
    const doneBefore = (r.json.outcomes as Record<string, unknown>[])
      .filter((o) => o.status === "cancelled").map((o) => o.uuid as string);
    assert.ok(ops.some((o) => emu.ops.get(o.uuid)!.status !== "CANCELLED"), "work was left");
    const again = await startServe({ home, env, args });
    try {
      const final = await waitFor("the resumed delivery", async () => {
        const g = await get(`${again.url}/v1/cancel/msg_term`, bearer);
        return g.status === 200 && JSON.parse(g.text);
      });
      assert.equal(final.status, "done");
      assert.equal(final.counts.cancelled + final.counts.already_finished, 4);
      for (const o of ops) assert.equal(emu.ops.get(o.uuid)!.status, "CANCELLED");
      for (const u of doneBefore) assert.equal(emu.seen("DELETE", u).length, 1, u);
    } finally {
      await again.stop("SIGKILL");
    }
  } finally {
    await emu.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("--serve --state: two servers on one file run a delivery once", async () => {
  await using emu = await startEmulator();
  const dir = Deno.makeTempDirSync();
  const home = homeFor(emu);
  const args = ["--state", `${dir}/state.db`];
  try {
    const ops = emu.seed(6);
    emu.fault({ method: "DELETE", delayMs: 150, times: 6 });
    const one = await startServe({ home, env: READ, args });
    const two = await startServe({ home, env: READ, args });
    try {
      const body = JSON.stringify({ uuids: ops.map((o) => o.uuid) });
      const headers = await standardHeaders(body, { id: "msg_twice" });
      const answers = await Promise.all([
        post(one.url, body, headers),
        post(two.url, body, headers),
      ]);
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 503], answers.map((a) => a.text).join("\n"));
      for (const o of ops) assert.equal(emu.seen("DELETE", o.uuid).length, 1, o.uuid);
      const winner = answers.find((a) => a.status === 200)!;
      for (const url of [one.url, two.url]) {
        const replay = await post(url, body, headers);
        assert.equal(replay.status, 200);
        assert.equal(replay.text, winner.text);
      }
      assert.equal(emu.seen("DELETE").length, 6);
    } finally {
      await one.stop("SIGKILL");
      await two.stop("SIGKILL");
    }
  } finally {
    await emu.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
