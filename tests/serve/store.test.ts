// --serve's store and hardening: the dedupe store bounded by bytes, a locked or misplaced --state
// file, the rate limit that forged requests cannot exhaust, bodies that are not UTF-8, oversized
// durations, and an endless listing that must not hold up the shutdown.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { startEmulator } from "../emulator/server.ts";
import { homeFor, makeHome, NO_CHILD_SIGNALS, runContree } from "../helpers.ts";
import {
  get,
  post,
  standardHeaders,
  standardHeadersForBytes,
  startServe,
  STD_SECRET,
  waitFor,
} from "./helpers.ts";

const bearer = { authorization: "Bearer reader" };
const READ = { CONTREE_WEBHOOK_READ_TOKEN: "reader", CONTREE_WEBHOOK_RATE: "0" };

Deno.test("--serve: the delivery store is bounded by bytes; the oldest answers go first", async () => {
  await using emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { ...READ, CONTREE_WEBHOOK_STORE_BYTES: "40000", CONTREE_CONCURRENCY: "32" },
  });
  try {
    const ids = ["msg_b1", "msg_b2", "msg_b3", "msg_b4"];
    for (const id of ids) {
      // 300 unknown UUIDs: each is `not_found`, so the delivery is final.
      const body = JSON.stringify({
        uuids: Array.from({ length: 300 }, () => crypto.randomUUID()),
      });
      const r = await post(server.url, body, await standardHeaders(body, { id }));
      assert.equal(r.status, 200, r.text.slice(0, 200));
    }
    const metrics = (await get(`${server.url}/metrics`)).text;
    const bytes = Number(/^contree_serve_store_bytes (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(bytes > 0 && bytes <= 40000, `store bytes ${bytes}`);
    assert.equal((await get(`${server.url}/v1/cancel/msg_b1`, bearer)).status, 404);
    assert.equal((await get(`${server.url}/v1/cancel/msg_b4`, bearer)).status, 200);
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve: a forged flood does not rate-limit signed deliveries from the same source", async () => {
  await using emu = await startEmulator();
  const server = await startServe({ home: homeFor(emu), env: { CONTREE_WEBHOOK_RATE: "2" } });
  try {
    const forged: number[] = [];
    for (let i = 0; i < 30; i++) {
      const body = JSON.stringify({ uuids: [crypto.randomUUID()] });
      const headers = await standardHeaders(body, {
        secret: "whsec_" + btoa("not-the-secret-00000000"),
      });
      forged.push((await post(server.url, body, headers)).status);
    }
    assert.equal(forged[0], 401);
    assert.ok(forged.includes(429), `forged requests are limited too: ${forged}`);
    const valid: number[] = [];
    for (let i = 0; i < 4; i++) {
      const body = JSON.stringify({ uuids: [crypto.randomUUID()] });
      valid.push((await post(server.url, body, await standardHeaders(body))).status);
    }
    assert.deepEqual(valid, [200, 200, 200, 200]);
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve: a body that is not UTF-8 verifies against the raw bytes (then 400)", async () => {
  await using emu = await startEmulator();
  const server = await startServe({ home: homeFor(emu), env: READ });
  try {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"\xff\xfe"}
    const res = await fetch(`${server.url}/v1/cancel`, {
      method: "POST",
      body: bytes,
      headers: standardHeadersForBytes(bytes),
    });
    const json = await res.json();
    assert.equal(res.status, 400, JSON.stringify(json));
    assert.equal(json.error, "invalid_json");
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve --state: a locked file neither freezes the server nor loses a result", async () => {
  await using emu = await startEmulator();
  const dir = Deno.makeTempDirSync();
  const home = homeFor(emu);
  const path = `${dir}/state.db`;
  const args = ["--state", path, "--deadline", "0.2"];
  let locker: DatabaseSync | undefined;
  try {
    const [a, b] = emu.seed(2);
    const server = await startServe({ home, env: READ, args });
    let stopped = false;
    try {
      // 1. A result finished while the file is locked is kept, served, and written later.
      emu.fault({ method: "DELETE", delayMs: 600 });
      const bodyA = JSON.stringify({ uuids: [a.uuid] });
      const r = await post(server.url, bodyA, await standardHeaders(bodyA, { id: "msg_lockA" }));
      assert.equal(r.status, 202, r.text);
      locker = new DatabaseSync(path);
      locker.exec("PRAGMA busy_timeout = 0");
      locker.exec("BEGIN IMMEDIATE");
      const done = await waitFor("the result while locked", async () => {
        const g = await get(`${server.url}/v1/cancel/msg_lockA`, bearer);
        return g.status === 200 && JSON.parse(g.text);
      });
      assert.equal(done.counts.cancelled, 1);
      // 2. A new delivery cannot be claimed while locked: 503 + Retry-After, quickly.
      const bodyB = JSON.stringify({ uuids: [b.uuid] });
      const headersB = await standardHeaders(bodyB, { id: "msg_lockB" });
      const t0 = Date.now();
      const busy = await post(server.url, bodyB, headersB);
      const health = await get(`${server.url}/healthz`);
      assert.ok(Date.now() - t0 < 2000, `answers took ${Date.now() - t0} ms while locked`);
      assert.equal(health.status, 200);
      assert.equal(busy.status, 503, busy.text);
      assert.match(busy.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
      assert.equal(emu.seen("DELETE", b.uuid).length, 0);
      locker.exec("ROLLBACK");
      locker.close();
      locker = undefined;
      const retried = await post(server.url, bodyB, headersB);
      assert.equal(retried.status, 200, retried.text);
      const s = await server.stop("SIGTERM");
      stopped = true;
      assert.equal(s.code, 0, s.stderr);
    } finally {
      if (!stopped) await server.stop("SIGKILL");
    }
    // The result written late survived: a new server answers it from the file.
    const again = await startServe({ home, env: READ, args });
    try {
      const g = await get(`${again.url}/v1/cancel/msg_lockA`, bearer);
      assert.equal(g.status, 200, g.text);
      assert.equal(JSON.parse(g.text).counts.cancelled, 1);
      assert.equal(emu.seen("DELETE", a.uuid).length, 1);
    } finally {
      await again.stop("SIGKILL");
    }
  } finally {
    locker?.close();
    await emu.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("--serve --state: a missing directory or the session database is a one-line error", async () => {
  await using emu = await startEmulator();
  const home = homeFor(emu);
  const dir = Deno.makeTempDirSync();
  try {
    const env = { CONTREE_WEBHOOK_SECRET: STD_SECRET, CONTREE_SESSION_DB: `${dir}/session.db` };
    const missing = `${dir}/no/such/dir/state.db`;
    const r = await runContree(["kill", "--serve", "--port", "0", "--state", missing], {
      home,
      env,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^\[ERROR\] /);
    assert.ok(r.stderr.includes(missing), r.stderr);
    assert.match(r.stderr, /does not exist/);
    assert.doesNotMatch(r.stderr, /Unexpected|at /);
    const session = await runContree(
      ["kill", "--serve", "--port", "0", "--state", `${dir}/session.db`],
      { home, env },
    );
    assert.equal(session.code, 1, session.stderr);
    assert.match(session.stderr, /^\[ERROR\] .*session database/);
    assert.equal(session.stderr.trim().split("\n").length, 1, session.stderr);
    // A file with someone else's tables is refused too, and left as it was.
    const other = `${dir}/other.db`;
    const db = new DatabaseSync(other);
    db.exec("CREATE TABLE notes (x TEXT)");
    db.close();
    const foreign = await runContree(
      ["kill", "--serve", "--port", "0", "--state", other],
      { home, env },
    );
    assert.equal(foreign.code, 1, foreign.stderr);
    assert.match(foreign.stderr, /^\[ERROR\] .*not a webhook state file/);
  } finally {
    await emu.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("--serve: durations beyond the timer limit are refused with a clear error", async () => {
  const home = makeHome([{ token: "t", url: "http://127.0.0.1:9" }]);
  try {
    const env = { CONTREE_WEBHOOK_SECRET: STD_SECRET };
    const deadline = await runContree(
      ["kill", "--serve", "--port", "0", "--deadline", "3000000"],
      { home, env },
    );
    assert.equal(deadline.code, 2, deadline.stderr);
    assert.match(deadline.stderr, /--deadline/);
    assert.match(deadline.stderr, /3000000/);
    const grace = await runContree(["kill", "--serve", "--port", "0"], {
      home,
      env: { ...env, CONTREE_WEBHOOK_GRACE: "3000000" },
    });
    assert.equal(grace.code, 1, grace.stderr);
    assert.match(grace.stderr, /CONTREE_WEBHOOK_GRACE must be .* <= 2147483/);
    const retry = await runContree(["kill", "--serve", "--port", "0"], {
      home,
      env: { ...env, CONTREE_WEBHOOK_RETRY_FOR: "3000000" },
    });
    assert.equal(retry.code, 1, retry.stderr);
    assert.match(retry.stderr, /CONTREE_WEBHOOK_RETRY_FOR must be/);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test({
  name: "--serve: an endless listing does not hold up the shutdown",
  ignore: NO_CHILD_SIGNALS,
}, async () => {
  // A hostile API: every page is full of new operations, whatever the offset.
  let pages = 0;
  const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname === "/v1/operations") {
      pages++;
      await new Promise((r) => setTimeout(r, 20));
      const limit = Math.min(Number(url.searchParams.get("limit") ?? "100") || 100, 100);
      const items = Array.from({ length: limit }, () => ({
        uuid: crypto.randomUUID(),
        status: url.searchParams.get("status") ?? "EXECUTING",
        kind: "instance",
      }));
      return Response.json(items);
    }
    return new Response(null, { status: 202 });
  });
  const home = makeHome([{ token: "t", url: `http://127.0.0.1:${api.addr.port}` }]);
  try {
    const server = await startServe({
      home,
      env: { ...READ, CONTREE_WEBHOOK_GRACE: "0.2" },
      args: ["--deadline", "0.2"],
    });
    try {
      const body = JSON.stringify({ all: true });
      const r = await post(server.url, body, await standardHeaders(body));
      assert.ok([202, 503].includes(r.status), r.text);
      await waitFor("a few pages", () => pages >= 3);
      const exited = server.stop("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([
        exited.then((s) => s.code),
        new Promise<string>((res) => timer = setTimeout(() => res("hung"), 10_000)),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, 0, "the server exited within 10 s of SIGTERM");
    } finally {
      await server.stop("SIGKILL");
    }
  } finally {
    await api.shutdown();
    Deno.removeSync(home, { recursive: true });
  }
});
