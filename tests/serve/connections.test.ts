// --serve under hostile connections: an open-files limit below the flood, connections that never
// finish their request head (slowloris), idle kept-alive connections, and the real peer address.
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { baseEnv, homeFor, MAIN, makeHome, PERMISSIONS, spawnContree } from "../helpers.ts";
import {
  ALL_SECRETS,
  attachServe,
  closedByServer,
  post,
  type ServeProcess,
  standardHeaders,
  startServe,
} from "./helpers.ts";

const enc = new TextEncoder();
const LINUX = Deno.build.os === "linux";

/** Host and port of a server URL (`http://[::1]:8787` too). */
function target(url: string): { hostname: string; port: number } {
  const u = new URL(url);
  return { hostname: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

/** Opens `n` TCP connections that send nothing. */
async function openIdle(url: string, n: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < n; i++) conns.push(await Deno.connect(target(url)));
  return conns;
}

function closeAll(conns: Iterable<Deno.Conn>): void {
  for (const c of conns) {
    try {
      c.close();
    } catch { /* already closed */ }
  }
}

/** Resolves when the process has exited, to `true`; or to `false` while it still runs. */
async function exited(child: Deno.ChildProcess): Promise<boolean> {
  return await Promise.race([child.status.then(() => true), Promise.resolve(false)]);
}

/** `contree kill --serve` under `prlimit --nofile=N:N` (a low hard open-files limit). */
function startServeWithFdLimit(
  home: string,
  fdLimit: number,
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = new Deno.Command("prlimit", {
    args: [
      `--nofile=${fdLimit}:${fdLimit}`,
      Deno.execPath(),
      "run",
      "--quiet",
      ...PERMISSIONS,
      MAIN,
      "kill",
      "--serve",
      "--port",
      "0",
    ],
    env: { ...baseEnv(home), CONTREE_WEBHOOK_SECRET: ALL_SECRETS, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  return attachServe(child);
}

Deno.test({
  name: "--serve: more idle connections than the open-files limit: no crash, a webhook still works",
  ignore: !LINUX,
  async fn() {
    await using emu = await startEmulator();
    const home = homeFor(emu);
    const server = await startServeWithFdLimit(home, 256, { CONTREE_WEBHOOK_RATE: "0" });
    const flood: Deno.TcpConn[] = [];
    try {
      flood.push(...await openIdle(server.url, 400));
      // The server closes connections over its cap; wait for the first one it closed.
      const firstClosed = await Promise.any(
        flood.slice(0, 50).map((c) => closedByServer(c, 20_000)),
      );
      assert.equal(firstClosed, "", "closed without an answer");
      assert.equal(await exited(server.child), false, `server exited:\n${server.stderr()}`);
      closeAll(flood.splice(0, 20)); // free a few
      const [op] = emu.seed(1);
      const body = JSON.stringify({ uuids: [op.uuid] });
      const r = await post(server.url, body, await standardHeaders(body));
      assert.equal(r.status, 200, r.text);
      assert.equal((r.json.counts as Record<string, number>).cancelled, 1, r.text);
      assert.equal(emu.seen("DELETE", op.uuid).length, 1);
      assert.equal(await exited(server.child), false, `server exited:\n${server.stderr()}`);
      assert.match(
        server.stderr(),
        /"level":"warning","message":"(Connection limit \(\d+\) reached|Cannot accept a connection: .*connection limit now \d+)/,
      );
      assert.doesNotMatch(server.stderr(), /panick|Uncaught|\[ERROR\]|"level":"error"/i);
      closeAll(flood);
      const { code } = await server.stop("SIGTERM");
      assert.equal(code, 0, server.stderr());
    } finally {
      closeAll(flood);
      await server.stop("SIGKILL");
      await emu.close(); // removes the home too
    }
  },
});

Deno.test({
  name: "--serve: running out of file descriptors at accept is logged and the server keeps serving",
  ignore: !LINUX,
  async fn() {
    const home = makeHome([{ token: "t", url: "http://127.0.0.1:9" }]);
    const server = await startServe({ home });
    const flood: Deno.TcpConn[] = [];
    try {
      // Lower the limit under the running server: its cap (from the start-up limit) is too high.
      const lowered = await new Deno.Command("prlimit", {
        args: ["--nofile=128:128", "--pid", String(server.child.pid)],
      }).output();
      assert.equal(lowered.code, 0, new TextDecoder().decode(lowered.stderr));
      flood.push(...await openIdle(server.url, 300));
      const fresh = await Deno.connect(target(server.url));
      try {
        await fresh.write(
          enc.encode("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        const answer = await closedByServer(fresh, 30_000);
        assert.match(answer, /^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok\n$/);
      } finally {
        closeAll([fresh]);
      }
      assert.equal(await exited(server.child), false, `server exited:\n${server.stderr()}`);
      assert.match(
        server.stderr(),
        /"level":"warning","message":"Cannot accept a connection: .*Too many open files/,
      );
    } finally {
      closeAll(flood);
      await server.stop("SIGKILL");
      Deno.removeSync(home, { recursive: true });
    }
  },
});

Deno.test("--serve: a connection that does not finish its request head is closed after the header timeout", async () => {
  const home = makeHome([{ token: "t", url: "http://127.0.0.1:9" }]);
  const server = await startServe({ home, env: { CONTREE_WEBHOOK_HEADER_TIMEOUT: "0.5" } });
  try {
    const conn = await Deno.connect(target(server.url));
    const started = Date.now();
    await conn.write(enc.encode("POST /v1/cancel HTTP/1.1\r\nHost: x\r\nContent-Ty"));
    const answer = await closedByServer(conn, 10_000);
    const elapsed = Date.now() - started;
    assert.equal(answer, "");
    assert.ok(elapsed >= 400, `closed after ${elapsed} ms, before the timeout`);
    conn.close();
    // A connection that sends nothing at all is closed too.
    const silent = await Deno.connect(target(server.url));
    assert.equal(await closedByServer(silent, 10_000), "");
    silent.close();
  } finally {
    await server.stop("SIGKILL");
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("--serve: 300 idle + 50 slowloris connections: a webhook on a fresh connection is answered", async () => {
  await using emu = await startEmulator();
  const home = homeFor(emu);
  const server = await startServe({
    home,
    env: { CONTREE_WEBHOOK_HEADER_TIMEOUT: "1", CONTREE_WEBHOOK_RATE: "0" },
  });
  const idle: Deno.TcpConn[] = [];
  const slow: Deno.TcpConn[] = [];
  let dripping = true;
  try {
    idle.push(...await openIdle(server.url, 300));
    slow.push(...await openIdle(server.url, 50));
    const head = enc.encode("POST /v1/cancel HTTP/1.1\r\nHost: x\r\nX-Pad: " + "a".repeat(1000));
    // One byte per connection every 100 ms: never a complete head.
    const drips = slow.map(async (c) => {
      for (let i = 0; dripping && i < head.length; i++) {
        try {
          await c.write(head.subarray(i, i + 1));
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    const [op] = emu.seed(1);
    const body = JSON.stringify({ uuids: [op.uuid] });
    const started = Date.now();
    const r = await post(server.url, body, await standardHeaders(body));
    const ms = Date.now() - started;
    assert.equal(r.status, 200, r.text);
    assert.equal(emu.seen("DELETE", op.uuid).length, 1);
    assert.ok(ms < 5_000, `answered after ${ms} ms`);
    // Every flood connection is closed by the server, none answered.
    const closed = await Promise.all([...idle, ...slow].map((c) => closedByServer(c, 20_000)));
    assert.deepEqual(new Set(closed), new Set([""]));
    dripping = false;
    await Promise.all(drips);
    assert.equal(await exited(server.child), false);
  } finally {
    dripping = false;
    closeAll([...idle, ...slow]);
    await server.stop("SIGKILL");
    await emu.close(); // removes the home too
  }
});

Deno.test("--serve: a kept-alive connection is closed after the idle timeout", async () => {
  const home = makeHome([{ token: "t", url: "http://127.0.0.1:9" }]);
  const server = await startServe({ home, env: { CONTREE_WEBHOOK_IDLE_TIMEOUT: "0.5" } });
  try {
    const conn = await Deno.connect(target(server.url));
    try {
      await conn.write(enc.encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
      // Read the first response, then keep the connection open without sending anything.
      const buf = new Uint8Array(4096);
      let text = "";
      while (!/\r\n\r\nok\n$/.test(text)) {
        const n = await conn.read(buf);
        if (n === null) throw new Error(`closed before the response ended: ${text}`);
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      assert.match(text, /^HTTP\/1\.1 200 OK/);
      assert.doesNotMatch(text, /connection: close/i);
      const answered = Date.now();
      assert.equal(await closedByServer(conn, 10_000), "");
      const elapsed = Date.now() - answered;
      assert.ok(elapsed >= 400, `closed after ${elapsed} ms, before the idle timeout`);
    } finally {
      closeAll([conn]);
    }
  } finally {
    await server.stop("SIGKILL");
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("--serve: the access log and the rate limit see the real peer address", async () => {
  const home = makeHome([{ token: "t", url: "http://127.0.0.1:9" }]);
  const server = await startServe({
    home,
    args: ["--hostname", "::1"],
    env: { CONTREE_WEBHOOK_RATE: "1" },
  });
  try {
    assert.match(server.url, /^http:\/\/\[::1\]:\d+$/);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/v1/cancel`, { method: "POST", body: "{}" });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    assert.equal(statuses[2], 429, statuses.join(","));
    const { stderr } = await server.stop("SIGTERM");
    const access = stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
      .filter((a) => a.method);
    assert.equal(access.length, 3, stderr);
    for (const a of access) assert.equal(a.source, "::1");
  } finally {
    await server.stop("SIGKILL");
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("--serve: a bad connection setting is a one-line error", async () => {
  const home = makeHome([{ token: "t", url: "http://127.0.0.1:9" }]);
  try {
    for (
      const [name, value] of [
        ["CONTREE_WEBHOOK_HEADER_TIMEOUT", "0"],
        ["CONTREE_WEBHOOK_IDLE_TIMEOUT", "soon"],
        ["CONTREE_WEBHOOK_REQUEST_TIMEOUT", "-1"],
        ["CONTREE_WEBHOOK_MAX_CONNECTIONS", "1.5"],
      ]
    ) {
      const child = spawnContree(["kill", "--serve", "--port", "0"], {
        home,
        env: { CONTREE_WEBHOOK_SECRET: ALL_SECRETS, [name]: value },
      });
      // A server that starts anyway is ended after 15 s (and the test fails on its exit code).
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const out = await child.output().finally(() => clearTimeout(timer));
      const dec = new TextDecoder();
      const r = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, new RegExp(`^\\[ERROR\\] ${name} must be .*, got '${value}'\\n$`));
    }
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});
