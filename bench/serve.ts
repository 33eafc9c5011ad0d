// Load test of `contree kill --serve` with wrk (Debian package `wrk`; not installed by this
// script) against loopback, bounded in time:
//   (a) requests with a bad signature (full HMAC check, 401);
//   (b) valid Standard Webhooks deliveries, each cancelling one operation on the emulator, which
//       runs in its own process without a request log; the server's RSS is sampled meanwhile;
//   (c) a connection flood: idle connections that never send a byte and slowloris connections
//       (one header byte a second), reopened when the server closes them, while valid webhooks
//       arrive one at a time, each on a fresh connection; their latency is reported.
// Run: deno task bench:serve [-- --duration 60 --bad-duration 10 --connections 32]
//      [--flood-idle 2000 --flood-slow 200 --flood-duration 20] (--flood-duration 0: no (c))
//      [--server-v8-flags=…] (default: the V8 flags contree ships with; empty: V8's defaults)
import { parseArgs } from "node:util";
import { benchArgs } from "./measure.ts";
import { signStandardWebhook } from "../lib/serve/verify/index.ts";
import { MAIN, makeHome, PERMISSIONS, V8_FLAGS } from "../tests/helpers.ts";

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    duration: { type: "string", default: "60" },
    "bad-duration": { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    "bad-connections": { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
    "flood-idle": { type: "string", default: "2000" },
    "flood-slow": { type: "string", default: "200" },
    "flood-duration": { type: "string", default: "20" },
    ops: { type: "string" },
    "memory-store": { type: "boolean", default: false },
    /** V8 flags of the server process (default: the shipped ones; empty: V8's defaults). */
    "server-v8-flags": { type: "string", default: V8_FLAGS },
  },
});
const duration = Number(values.duration);
const serverV8Flags = values["server-v8-flags"];
const threads = Number(values.threads);
const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));

try {
  await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
} catch {
  out("wrk is not installed. This benchmark needs the HTTP load generator wrk:");
  out("  sudo apt-get install wrk      (Debian/Ubuntu)   or   brew install wrk   (macOS)");
  out("Nothing was run.");
  Deno.exit(2);
}

const SECRET = "whsec_" + btoa("bench-secret-0123456789ab");
const dir = Deno.makeTempDirSync({ prefix: "contree-bench-serve-" });
// Enough distinct operations that no delivery repeats within the run (checked below).
const nOps = Number(values.ops ?? Math.max(50_000, duration * 7_000));
const children: Deno.ChildProcess[] = [];

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

async function readUntil(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<RegExpExecArray> {
  const dec = new TextDecoder();
  let text = "";
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${re}: ${text}`);
    text += dec.decode(value, { stream: true });
    const m = re.exec(text);
    if (m) {
      reader.releaseLock();
      return m;
    }
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) : NaN;
}

interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
  requests: number;
  raw: string;
}

async function wrk(args: string[]): Promise<WrkResult> {
  const r = await new Deno.Command("wrk", { args, stdout: "piped", stderr: "piped" }).output();
  const raw = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  const pct = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(raw)?.[1] ?? "?";
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(raw)?.[1] ?? NaN),
    p50: pct("50"),
    p99: pct("99"),
    requests: Number(/(\d+) requests in/.exec(raw)?.[1] ?? NaN),
    raw,
  };
}

/** One POST on a fresh connection (`Connection: close`); returns the status and milliseconds. */
async function freshPost(
  port: number,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  // A server that never answers must not hang the benchmark: the connection is closed after 10 s.
  const deadline = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, 10_000);
  try {
    const head = [
      "POST /v1/cancel HTTP/1.1",
      "Host: 127.0.0.1",
      "Connection: close",
      `Content-Length: ${new TextEncoder().encode(body).length}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ].join("\r\n");
    await conn.write(new TextEncoder().encode(`${head}\r\n\r\n${body}`));
    const buf = new Uint8Array(16_384);
    let text = "";
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    return { status, ms: performance.now() - started };
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
}

/** Keeps `idle` silent and `slow` slowloris connections open until `signal` aborts. */
function flood(port: number, idle: number, slow: number, signal: AbortSignal) {
  const stats = { opened: 0, closedByServer: 0, failedToOpen: 0 };
  const head = new TextEncoder().encode(
    "POST /v1/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "a".repeat(4096),
  );
  const one = async (drip: boolean) => {
    while (!signal.aborted) {
      let conn: Deno.Conn;
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
        stats.opened++;
      } catch {
        stats.failedToOpen++;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const onAbort = () => {
        try {
          conn.close();
        } catch { /* closed */ }
      };
      signal.addEventListener("abort", onAbort, { once: true });
      // Resolves when the server closes the connection.
      const closed = conn.read(new Uint8Array(1024)).then(() => true, () => true);
      for (let i = 0; drip && !signal.aborted; i = (i + 1) % head.length) {
        const wait = new Promise((r) => setTimeout(r, 1000, false));
        if (await Promise.race([closed, wait])) break;
        try {
          await conn.write(head.subarray(i, i + 1));
        } catch {
          break;
        }
      }
      await closed;
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) return;
      stats.closedByServer++;
      onAbort();
    }
  };
  const all = [
    ...Array.from({ length: idle }, () => one(false)),
    ...Array.from({ length: slow }, () => one(true)),
  ];
  return { stats, done: Promise.all(all) };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]
    : NaN;
}

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

try {
  // The emulator, seeded, in its own process.
  const uuidsFile = `${dir}/uuids.txt`;
  out(`seeding the emulator with ${nOps} PENDING operations...`);
  const emuProc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-write",
      new URL("./serve_emulator.ts", import.meta.url).pathname,
      "--ops",
      String(nOps),
      "--uuids",
      uuidsFile,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  children.push(emuProc);
  const emuUrl = (await readUntil(emuProc.stdout, /READY (\S+)\n/))[1];

  // The server: the real main.ts with the same permissions as the release binary.
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const serverArgs = ["kill", "--serve", "--port", String(port)];
  if (!values["memory-store"]) serverArgs.push("--state", `${dir}/state.db`);
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...(serverV8Flags ? [`--v8-flags=${serverV8Flags}`] : []),
      ...PERMISSIONS,
      MAIN,
      ...serverArgs,
    ],
    env: {
      CONTREE_HOME: makeHome([{ token: "test-token", url: emuUrl }]),
      CONTREE_WEBHOOK_SECRET: SECRET,
      // One load generator on loopback is one source: the per-source limit would answer 429.
      CONTREE_WEBHOOK_RATE: "0",
      NO_COLOR: "1",
      ...(Deno.env.get("BENCH_CONTREE_TIMEOUT")
        ? { CONTREE_TIMEOUT: Deno.env.get("BENCH_CONTREE_TIMEOUT")! }
        : {}),
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  children.push(server);
  await readUntil(server.stderr, /Listening on/);
  // Keep draining the access log (one JSON line per request), counting lines.
  let accessLines = 0;
  const drained = server.stderr.pipeTo(
    new WritableStream({
      write(chunk) {
        for (const b of chunk) if (b === 10) accessLines++;
      },
    }),
  ).catch(() => {});

  // The baseline: a hello-world Deno.serve on this machine, same wrk settings as (a).
  const helloPort = freePort();
  const hello = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.serve({ hostname: "127.0.0.1", port: ${helloPort}, onListen() { console.log("READY"); } }, () => new Response("ok"));`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  children.push(hello);
  await readUntil(hello.stdout, /READY\n/);
  const helloSecs = Number(values["bad-duration"]);
  out(
    `(0) baseline, hello world: wrk -t${threads} -c${
      values["bad-connections"]
    } -d${helloSecs}s ...`,
  );
  await wrk(["-t1", "-c4", "-d2s", `http://127.0.0.1:${helloPort}/`]); // warm-up
  const h = await wrk([
    `-t${threads}`,
    `-c${values["bad-connections"]}`,
    `-d${helloSecs}s`,
    "--latency",
    `http://127.0.0.1:${helloPort}/`,
  ]);
  hello.kill("SIGTERM");
  await hello.status;
  await hello.stdout.cancel().catch(() => {});

  // (a) Bad signatures: well-formed headers, current timestamp, wrong HMAC.
  const badBody = JSON.stringify({ uuids: [crypto.randomUUID()] });
  const ts = Math.floor(Date.now() / 1000);
  const badScript = `${dir}/bad.lua`;
  Deno.writeTextFileSync(
    badScript,
    `wrk.method = "POST"
wrk.body = '${badBody}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["webhook-id"] = "msg_bad"
wrk.headers["webhook-timestamp"] = "${ts}"
wrk.headers["webhook-signature"] = "v1,${btoa("x".repeat(32))}"
`,
  );
  const badSecs = Number(values["bad-duration"]);
  out(`(a) bad signatures: wrk -t${threads} -c${values["bad-connections"]} -d${badSecs}s ...`);
  await wrk(["-t1", "-c4", "-d2s", "-s", badScript, `${url}/v1/cancel`]); // warm-up
  const a = await wrk([
    `-t${threads}`,
    `-c${values["bad-connections"]}`,
    `-d${badSecs}s`,
    "--latency",
    "-s",
    badScript,
    `${url}/v1/cancel`,
  ]);
  const rejected = await metric(
    url,
    /contree_serve_requests_total\{route="\/v1\/cancel",status="401"\} (\d+)/,
  );

  // (b) Valid deliveries, one operation each.
  out(`signing ${nOps} deliveries...`);
  const allUuids = Deno.readTextFileSync(uuidsFile).trim().split("\n");
  // The last ones are kept for (c).
  const floodUuids = allUuids.splice(allUuids.length - Math.min(5_000, allUuids.length >> 3));
  const uuids = allUuids;
  const lines: string[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < uuids.length; i++) {
    const id = `msg_bench_${i}`;
    const sig = await signStandardWebhook(SECRET, id, now, `{"uuids":["${uuids[i]}"]}`);
    lines.push(`${id} ${now} ${sig} ${uuids[i]}`);
  }
  Deno.writeTextFileSync(`${dir}/deliveries.txt`, lines.join("\n") + "\n");
  const goodScript = `${dir}/good.lua`;
  Deno.writeTextFileSync(
    goodScript,
    `local reqs = {}
local n = 0
local nthreads = ${threads}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local i = 0
  for line in io.lines("${dir}/deliveries.txt") do
    if i % nthreads == tid then
      local id, ts, sig, uuid = line:match("(%S+) (%S+) (%S+) (%S+)")
      local body = '{"uuids":["' .. uuid .. '"]}'
      reqs[#reqs + 1] = wrk.format("POST", "/v1/cancel", {
        ["Content-Type"] = "application/json",
        ["webhook-id"] = id,
        ["webhook-timestamp"] = ts,
        ["webhook-signature"] = sig,
      }, body)
    end
    i = i + 1
  end
end
function request()
  n = n + 1
  return reqs[((n - 1) % #reqs) + 1]
end
`,
  );
  out(`(b) valid deliveries: wrk -t${threads} -c${values.connections} -d${duration}s ...`);
  const rss: number[] = [rssKiB(server.pid)];
  const sampler = setInterval(() => rss.push(rssKiB(server.pid)), 5_000);
  const b = await wrk([
    `-t${threads}`,
    `-c${values.connections}`,
    `-d${duration}s`,
    "--timeout",
    "5s",
    "--latency",
    "-s",
    goodScript,
    url,
  ]);
  clearInterval(sampler);
  rss.push(rssKiB(server.pid));
  const ok200 = await metric(
    url,
    /contree_serve_requests_total\{route="\/v1\/cancel",status="200"\} (\d+)/,
  );
  const cancelled = await metric(
    url,
    /contree_serve_cancellations_total\{outcome="cancelled"\} (\d+)/,
  );
  const other = (await (await fetch(`${url}/metrics`)).text()).split("\n").filter((l) =>
    /^contree_serve_requests_total\{route="\/v1\/cancel",status="(?!200|401)/.test(l)
  );

  const mib = (k: number) => (k / 1024).toFixed(1);
  out("");
  out(
    `contree --serve load test (${navigator.hardwareConcurrency} CPUs, loopback, wrk ${threads} threads)`,
  );
  const ofHello = (rps: number) => `${(rps / h.rps).toFixed(2)}× hello world`;
  out(
    `(0) hello world (baseline): ${h.rps.toFixed(0)} req/s, p50 ${h.p50}, p99 ${h.p99} ` +
      `(${h.requests} requests, ${values["bad-connections"]} connections, ${helloSecs} s)`,
  );
  out(
    `(a) bad signature -> 401: ${a.rps.toFixed(0)} req/s (${
      ofHello(a.rps)
    }), p50 ${a.p50}, p99 ${a.p99} ` +
      `(${a.requests} requests, ${
        values["bad-connections"]
      } connections, ${badSecs} s; server counted ${rejected} 401s)` +
      `   target >= 10000 req/s: ${a.rps >= 10_000 ? "met" : "MISSED"}`,
  );
  out(
    `(b) valid webhook, 1 cancel each: ${b.rps.toFixed(0)} webhooks/s (${
      ofHello(b.rps)
    }), p50 ${b.p50}, p99 ${b.p99} ` +
      `(${b.requests} requests, ${values.connections} connections, ${duration} s; ${ok200} answered 200, ${cancelled} operations cancelled)`,
  );
  const p99ms = b.p99.endsWith("ms")
    ? parseFloat(b.p99)
    : b.p99.endsWith("us")
    ? parseFloat(b.p99) / 1000
    : parseFloat(b.p99) * 1000;
  out(
    `    targets >= 2000 webhooks/s: ${b.rps >= 2000 ? "met" : "MISSED"}; p99 < 50 ms: ${
      p99ms < 50 ? "met" : "MISSED"
    }`,
  );
  if (b.requests > nOps) {
    out(`    WARNING: ${b.requests - nOps} requests were replays (raise --ops)`);
  }
  if (other.length) out(`    other statuses: ${other.join("; ")}`);
  out(
    `    server RSS every 5 s (MiB): ${rss.map(mib).join(" ")} (${
      values["memory-store"] ? "in-memory dedupe" : "dedupe in --state SQLite"
    })`,
  );
  const steady = rss.slice(2); // from 10 s into (b), after warm-up
  out(
    `    from 10 s on: min ${mib(Math.min(...steady))}, max ${mib(Math.max(...steady))} MiB, ` +
      `last minus first ${mib(steady.at(-1)! - steady[0])} MiB`,
  );

  // (c) Connection flood while valid webhooks arrive one at a time on fresh connections.
  const floodSecs = Number(values["flood-duration"]);
  if (floodSecs > 0) {
    const nIdle = Number(values["flood-idle"]);
    const nSlow = Number(values["flood-slow"]);
    out("");
    out(`(c) flood: ${nIdle} idle + ${nSlow} slowloris connections for ${floodSecs} s ...`);
    const stop = new AbortController();
    const f = flood(port, nIdle, nSlow, stop.signal);
    // Wait until the flood is fully open (or 10 s).
    for (let i = 0; i < 100 && f.stats.opened < nIdle + nSlow; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const openedAtStart = f.stats.opened;
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const until = Date.now() + floodSecs * 1000;
    let i = 0;
    while (Date.now() < until && i < floodUuids.length) {
      const id = `msg_flood_${i}`;
      const body = `{"uuids":["${floodUuids[i++]}"]}`;
      const ts = Math.floor(Date.now() / 1000);
      const headers = {
        "Content-Type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(ts),
        "webhook-signature": await signStandardWebhook(SECRET, id, ts, body),
      };
      const r = await freshPost(port, body, headers).catch(() => ({ status: 0, ms: NaN }));
      if (Number.isFinite(r.ms)) latencies.push(r.ms);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 50));
    }
    const stillUp = await Promise.race([server.status.then(() => false), Promise.resolve(true)]);
    stop.abort();
    await f.done;
    latencies.sort((x, y) => x - y);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const p99 = percentile(latencies, 99);
    out(
      `(c) during the flood (${openedAtStart} connections open at start, ${f.stats.opened} opened in all, ` +
        `${f.stats.closedByServer} closed by the server, ${f.stats.failedToOpen} failed to open): ` +
        `${i} valid webhooks on fresh connections, statuses ${
          [...statuses].map(([k, v]) => `${k}x${v}`).join(" ")
        }, p50 ${ms(percentile(latencies, 50))}, p99 ${ms(p99)}, max ${
          ms(latencies.at(-1) ?? NaN)
        }`,
    );
    out(
      `    target p99 < 1000 ms: ${p99 < 1000 ? "met" : "MISSED"}; server still up: ${
        stillUp ? "yes" : "NO"
      }`,
    );
  }

  out(`    access-log lines drained: ${accessLines}`);
  server.kill("SIGTERM");
  await server.status;
  await drained;
} finally {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch { /* already gone */ }
  }
  await Promise.allSettled(children.map((c) => c.status));
  Deno.removeSync(dir, { recursive: true });
}
