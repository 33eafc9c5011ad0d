// --serve operator's kit: secrets from files, start-up refusals, /readyz, --trust-proxy, and a
// metrics exposition that a real Prometheus text parser accepts. The real main.ts, spawned.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parsePrometheus } from "../deps.ts";
import { startEmulator } from "../emulator/server.ts";
import { homeFor, runContree, tempDir } from "../helpers.ts";
import { get, post, standardHeaders, startServe, STD_SECRET, waitFor } from "./helpers.ts";

const BEARER = "alert-bearer-token-0123456789";

Deno.test("--serve secrets: …_FILE twins work; short, doubled or unreadable secrets refuse to start", async () => {
  const emu = await startEmulator();
  using dir = tempDir();
  const home = homeFor(emu);
  Deno.writeTextFileSync(`${dir.path}/webhook`, `${STD_SECRET}\n`);
  Deno.writeTextFileSync(`${dir.path}/bearer`, `${BEARER}\n`);
  const server = await startServe({
    home,
    env: {
      CONTREE_WEBHOOK_SECRET: "",
      CONTREE_WEBHOOK_SECRET_FILE: `${dir.path}/webhook`,
      CONTREE_WEBHOOK_BEARER_FILE: `${dir.path}/bearer`,
    },
  });
  try {
    const [op, op2] = emu.seed(2, { status: "EXECUTING" });
    const body = JSON.stringify({ uuids: [op.uuid] });
    const r = await post(server.url, body, await standardHeaders(body));
    assert.equal(r.status, 200, r.text);
    const alert = JSON.stringify({
      version: "4",
      status: "firing",
      alerts: [{ status: "firing", labels: { contree_uuid: op2.uuid } }],
    });
    const a = await post(server.url, alert, {
      "content-type": "application/json",
      authorization: `Bearer ${BEARER}`,
    });
    assert.equal(a.status, 200, a.text);
    const { stderr } = await server.stop();
    assert.ok(!stderr.includes(BEARER));
  } finally {
    await server.stop("SIGKILL");
  }
  try {
    const refusals: [Record<string, string>, RegExp][] = [
      [
        { CONTREE_WEBHOOK_SECRET: "short-secret" },
        /entry 1: a GitHub-style secret must be at least 16 bytes/,
      ],
      [
        { CONTREE_WEBHOOK_SECRET: STD_SECRET, CONTREE_WEBHOOK_SECRET_FILE: `${dir.path}/webhook` },
        /CONTREE_WEBHOOK_SECRET and CONTREE_WEBHOOK_SECRET_FILE are both set/,
      ],
      [
        { CONTREE_WEBHOOK_BEARER_FILE: `${dir.path}/missing` },
        /Cannot read CONTREE_WEBHOOK_BEARER_FILE '.*missing': no such file/,
      ],
      [{ CONTREE_WEBHOOK_BEARER: "tiny" }, /CONTREE_WEBHOOK_BEARER must be at least 16 bytes/],
      [{ CONTREE_SLACK_SIGNING_SECRET: "abc" }, /CONTREE_SLACK_SIGNING_SECRET entry 1/],
      [
        { CONTREE_WEBHOOK_SECRET: STD_SECRET, CONTREE_SLACK_RESPONSE_URL_PREFIX: "ftp://x" },
        /CONTREE_SLACK_RESPONSE_URL_PREFIX must be/,
      ],
    ];
    for (const [env, message] of refusals) {
      const r = await runContree(["kill", "--serve", "--port", "0"], { home, env });
      assert.equal(r.code, 1, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^\[ERROR\] /);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes("short-secret") && !r.stderr.includes("tiny"), r.stderr);
    }
    const proxy = await runContree([
      "kill",
      "--serve",
      "--port",
      "0",
      "--trust-proxy",
      "10.0.0.0/33",
    ], {
      home,
      env: { CONTREE_WEBHOOK_SECRET: STD_SECRET },
    });
    assert.equal(proxy.code, 2, proxy.stderr);
    assert.match(
      proxy.stderr,
      /^\[ERROR\] --trust-proxy: not a CIDR network or address: '10.0.0.0\/33'\n$/,
    );
  } finally {
    await emu.close();
  }
});

Deno.test("--serve /readyz: 200 only when the API answers and the --state file takes writes", async () => {
  const emu = await startEmulator();
  using dir = tempDir();
  const state = `${dir.path}/state.db`;
  const server = await startServe({ home: homeFor(emu), args: ["--state", state] });
  try {
    const ok = await get(`${server.url}/readyz`);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(JSON.parse(ok.text), { status: "ready", api: "ok", store: "ok" });
    const listings = emu.seen("GET").length;
    assert.equal((await get(`${server.url}/readyz`)).status, 200);
    assert.equal(emu.seen("GET").length, listings, "the API check is cached");
    // Another process holds the state file's write lock: not ready (the API is fine).
    const other = new DatabaseSync(state);
    other.exec("BEGIN EXCLUSIVE");
    try {
      const locked = await get(`${server.url}/readyz`);
      assert.equal(locked.status, 503, locked.text);
      assert.equal(JSON.parse(locked.text).store, "not_writable");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    assert.equal((await get(`${server.url}/healthz`)).status, 200, "liveness is unaffected");
    // The API refuses the token: not ready, until it answers again.
    emu.fault({ method: "GET", status: 401, times: 1000 });
    const down = await waitFor("readyz 503", async () => {
      const r = await get(`${server.url}/readyz`);
      return r.status === 503 ? r : undefined;
    });
    assert.deepEqual(JSON.parse(down.text), { status: "not_ready", api: "http_401", store: "ok" });
    assert.equal((await get(`${server.url}/healthz`)).status, 200);
    const { stderr } = await server.stop();
    const lines = stderr.split("\n").filter((l) => l).map((l) => JSON.parse(l));
    assert.ok(
      lines.some((l) => l.path === "/readyz" && l.status === 503 && l.reason === "api_http_401"),
    );
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve --trust-proxy: X-Forwarded-For names the client only from trusted proxies", async () => {
  const emu = await startEmulator();
  const home = homeFor(emu);
  const trusting = await startServe({
    home,
    args: ["--trust-proxy", "10.0.0.0/8,127.0.0.1"],
    env: { CONTREE_WEBHOOK_RATE: "1" },
  });
  const plain = await startServe({ home, env: { CONTREE_WEBHOOK_RATE: "1" } });
  try {
    // Unsigned requests: two per source pass (burst 2), the third is 429, per client address.
    const forged = (url: string, xff: string) =>
      post(url, "{}", { "content-type": "application/json", "x-forwarded-for": xff });
    const statuses = async (url: string, xff: string) => {
      const out = [];
      for (let i = 0; i < 3; i++) out.push((await forged(url, xff)).status);
      return out;
    };
    assert.deepEqual(await statuses(trusting.url, "203.0.113.7"), [401, 401, 429]);
    // Another client behind the same proxy has its own budget; the entry left of an untrusted
    // hop is not believed (a client can forge it).
    assert.deepEqual(await statuses(trusting.url, "198.51.100.1, 203.0.113.8, 10.1.2.3"), [
      401,
      401,
      429,
    ]);
    // Without --trust-proxy the header is ignored: every request is 127.0.0.1's.
    assert.deepEqual(await statuses(plain.url, "203.0.113.9"), [401, 401, 429]);
    assert.equal((await forged(plain.url, "198.51.100.77")).status, 429);

    const sources = async (s: typeof plain) =>
      (await s.stop()).stderr.split("\n").filter((l) => l).map((l) => JSON.parse(l))
        .filter((l) => l.method).map((l) => l.source);
    assert.deepEqual(await sources(trusting), [
      ...Array(3).fill("203.0.113.7"),
      ...Array(3).fill("203.0.113.8"),
    ]);
    assert.deepEqual(new Set(await sources(plain)), new Set(["127.0.0.1"]));
  } finally {
    await trusting.stop("SIGKILL");
    await plain.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve /metrics: a Prometheus parser accepts it; every family has HELP and TYPE, labels are short codes", async () => {
  const emu = await startEmulator();
  const server = await startServe({ home: homeFor(emu), env: { CONTREE_WEBHOOK_RATE: "0" } });
  try {
    const [op] = emu.seed(1, { status: "EXECUTING" });
    const body = JSON.stringify({ uuids: [op.uuid] });
    assert.equal((await post(server.url, body, await standardHeaders(body))).status, 200);
    const stale = await standardHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    assert.equal((await post(server.url, body, stale)).status, 401);
    const wrong = await standardHeaders(body, {
      secret: "whsec_" + btoa("another-secret-0000000000"),
    });
    assert.equal((await post(server.url, body, wrong)).status, 401);
    await get(`${server.url}/readyz`);
    const text = (await get(`${server.url}/metrics`)).text;
    const families = parsePrometheus(text) as {
      name: string;
      help: string;
      type: string;
      metrics: { labels?: Record<string, string> }[];
    }[];
    const declared = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    assert.deepEqual(families.map((f) => f.name).sort(), [...declared].sort());
    for (const f of families) {
      assert.ok(f.help !== "", `${f.name} has no # HELP`);
      assert.ok(f.type !== "", `${f.name} has no # TYPE`);
      for (const m of f.metrics) {
        for (const [k, v] of Object.entries(m.labels ?? {})) {
          if (k === "le") continue;
          assert.match(v, /^[a-z0-9_/:.]{1,32}$/, `${f.name}{${k}="${v}"} is not a short code`);
        }
      }
    }
    const rejected = families.find((f) => f.name === "contree_serve_rejected_signatures_total")!;
    assert.deepEqual(
      rejected.metrics.map((m) => m.labels?.reason).sort(),
      ["bad_signature", "stale"],
    );
    assert.ok(families.some((f) => f.name === "contree_serve_deliveries_running"));
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});
