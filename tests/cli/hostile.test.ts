// Hostile input end to end: control characters from the API and argv, Python's Infinity/NaN
// tokens, config paths that are not regular files, a session history with a parent cycle, and a
// server that echoes the token back in its body. The real main.ts runs against the emulator or a
// small hostile server; every test removes its CONTREE_HOME and ends what it started.
import assert from "node:assert/strict";
import { sessionDbPath } from "../../lib/session/schema.ts";
import { type BoundedResult, finishWithin } from "../hostile/fake.ts";
import { homeFor, makeHome, spawnContree, withEmulator } from "../helpers.ts";
import { parseTomlResults } from "../output/parsers.ts";
import { OPS, SessionDb } from "../session_db.ts";

/** Raw characters that must never reach a terminal from human output or a log line. */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
/** A text full of terminal tricks: OSC title, SGR, CR overwrite, BEL, 8-bit CSI, RLO. */
const EVIL = "\x1b]0;pwned\x07\x1b[31mred\rX\x9b2J\u202eevil\x7f";

/** Runs the CLI, killing it if it has not finished after `ms` (so a hang fails, not blocks). */
function runBounded(
  args: string[],
  opts: { home?: string; env?: Record<string, string> },
  ms = 30_000,
): Promise<BoundedResult> {
  return finishWithin(spawnContree(args, opts), ms);
}

/** A temporary CONTREE_HOME for `fn`, removed afterwards. */
async function withHome<T>(home: string, fn: (home: string) => Promise<T>): Promise<T> {
  try {
    return await fn(home);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

/** Asserts stderr is only `[LEVEL] …` lines free of raw control characters. */
function assertSafeLog(stderr: string): void {
  assert.ok(stderr.endsWith("\n"), JSON.stringify(stderr));
  for (const line of stderr.slice(0, -1).split("\n")) {
    assert.match(line, /^\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] /, JSON.stringify(line));
    assert.ok(!UNSAFE.test(line) && !line.includes("\t"), JSON.stringify(line));
  }
}

Deno.test("table and plain escape control characters from API values and keys; json, csv exact", () =>
  withEmulator(async (emu) => {
    const op = emu.add({ status: "FAILED", error: EVIL, ["ke\x1b[5my"]: "v\u2066x" });
    await withHome(homeFor(emu), async (home) => {
      for (const format of ["table", "default", "plain"]) {
        const r = await runBounded(["-f", format, "ps", "-a"], { home });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!UNSAFE.test(r.stdout), `${format}: ${JSON.stringify(r.stdout)}`);
        assert.ok(r.stdout.includes(op.uuid));
      }
      const plain = await runBounded(["-f", "plain", "ps", "-a"], { home });
      assert.match(
        plain.stdout,
        /\nerror: +\\x1b\]0;pwned\\x07\\x1b\[31mred\\rX\\x9b2J\\u202eevil\\x7f\n/,
      );
      assert.match(plain.stdout, /\nke\\x1b\[5my: +v\\u2066x\n/);
      // JSON is data: byte-exact through Python-style \u escapes, parses back to the same text.
      const json = await runBounded(["-f", "json", "ps", "-a"], { home });
      assert.equal(json.code, 0, json.stderr);
      const row = JSON.parse(json.stdout);
      assert.equal(row.error, EVIL);
      assert.equal(row["ke\x1b[5my"], "v\u2066x");
      // CSV on a pipe is data too: the value is kept exactly (escaped only on a terminal).
      const csv = await runBounded(["-f", "csv", "ps", "-a"], { home });
      assert.ok(csv.stdout.includes(`"${EVIL}"`), JSON.stringify(csv.stdout));
      // TOML escapes C0, DEL, C1 and bidi as \uXXXX: exact data, nothing raw on the terminal.
      const toml = await runBounded(["-f", "toml", "ps", "-a"], { home });
      assert.equal(toml.code, 0, toml.stderr);
      assert.ok(!UNSAFE.test(toml.stdout), JSON.stringify(toml.stdout));
      const [t] = parseTomlResults(toml.stdout);
      assert.equal(t.error, EVIL);
      assert.equal(t["ke\x1b[5my"], "v\u2066x");
    });
  }));

Deno.test("log lines escape control characters from API error bodies and argv, one line each", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1, { status: "EXECUTING" });
    emu.fault({ method: "DELETE", status: 400, body: `bad\n[INFO] forged${EVIL}`, times: 10 });
    await withHome(homeFor(emu), async (home) => {
      const r = await runBounded(["kill", op.uuid], { home });
      assert.equal(r.code, 1, r.stderr);
      assertSafeLog(r.stderr);
      assert.equal(r.stderr.split("\n").length, 2, r.stderr);
      assert.ok(r.stderr.includes("bad\\n[INFO] forged\\x1b]0;pwned\\x07"), r.stderr);

      const bad = await runBounded(["kill", `\x1b[2J\u202e${OPS.A}`], { home });
      assert.equal(bad.code, 1);
      assertSafeLog(bad.stderr);
      assert.match(bad.stderr, /^\[ERROR\] Invalid operation reference: \\x1b\[2J\\u202e0a0/);
      assert.equal(emu.seen("DELETE").length, 1);
    });
  }));

/** An operation body as a server using Python's json.dumps(allow_nan=True) would send it. */
function pythonNanBody(uuid: string): string {
  return `{"uuid": "${uuid}", "kind": "instance", "status": "EXECUTING", "error": null, ` +
    `"duration": Infinity, "created_at": "2026-03-01T00:00:00Z", "cost": Infinity, ` +
    `"low": -Infinity, "ratio": NaN, "note": "NaN and Infinity in a string", ` +
    `"metadata": null, "result": null}`;
}

Deno.test("Python's Infinity/NaN tokens: toml writes inf/-inf/nan, json Infinity/NaN", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1, { status: "SUCCESS" });
    await withHome(homeFor(emu), async (home) => {
      emu.fault({ method: "GET", status: 200, body: pythonNanBody(op.uuid) });
      const toml = await runBounded(["-f", "toml", "show", op.uuid], { home });
      assert.equal(toml.code, 0, toml.stderr);
      assert.match(toml.stdout, /\nduration = inf\n/);
      assert.match(toml.stdout, /\ncost = inf\n/);
      assert.match(toml.stdout, /\nlow = -inf\n/);
      assert.match(toml.stdout, /\nratio = nan\n/);
      const [t] = parseTomlResults(toml.stdout);
      assert.equal(t.cost, Infinity);
      assert.equal(t.low, -Infinity);
      assert.ok(Number.isNaN(t.ratio));
      assert.equal(t.note, "NaN and Infinity in a string");

      emu.fault({ method: "GET", status: 200, body: pythonNanBody(op.uuid) });
      const json = await runBounded(["-f", "json", "show", op.uuid], { home });
      assert.equal(json.code, 0, json.stderr);
      assert.match(json.stdout, /"duration": Infinity, /);
      assert.match(json.stdout, /"cost": Infinity, "low": -Infinity, "ratio": NaN, /);

      emu.fault({ method: "GET", status: 200, body: pythonNanBody(op.uuid) });
      const plain = await runBounded(["-f", "plain", "show", op.uuid], { home });
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /\nduration: +inf\n/);
      assert.match(plain.stdout, /\ncost: +inf\nlow: +-inf\nratio: +nan\n/);
    });
  }));

Deno.test({
  name: "config files that are not regular files or exceed 1 MiB: one error line, no hang",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const env = { NO_COLOR: "1" };
    // auth.ini (and cli.ini, read before argument parsing) linked to /dev/zero.
    for (const name of ["auth.ini", "cli.ini"]) {
      await withHome(makeHome([{ token: "t", url: "http://127.0.0.1:9" }]), async (home) => {
        if (name === "auth.ini") Deno.removeSync(`${home}/${name}`);
        Deno.symlinkSync("/dev/zero", `${home}/${name}`);
        const r = await runBounded(["ps"], { home, env });
        assert.ok(!r.killed, `${name} -> /dev/zero hung`);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(
          r.stderr,
          `[ERROR] Cannot read config file ${home}/${name}: not a regular file\n`,
        );
      });
    }
    // A FIFO nobody writes to: opening it for reading would block forever.
    await withHome(makeHome(), async (home) => {
      const fifo = `${home}/auth.ini`;
      const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.ok(mk.success, "mkfifo");
      const r = await runBounded(["ps"], { home, env });
      assert.ok(!r.killed, "FIFO hung");
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `[ERROR] Cannot read config file ${fifo}: not a regular file\n`);
      // -c naming it says the same.
      const c = await runBounded(["-c", fifo, "ps"], { home, env });
      assert.equal(c.stderr, `[ERROR] Cannot read config file ${fifo}: not a regular file\n`);
    });
    // Over 1 MiB: refused; exactly 1 MiB: read.
    await withHome(makeHome(), async (home) => {
      const head =
        "[DEFAULT]\nprofile = default\n[profile:default]\ntoken = t\nurl = http://127.0.0.1:9\n";
      const fill = (size: number) => head + "#".repeat(size - head.length - 1) + "\n";
      Deno.writeTextFileSync(`${home}/auth.ini`, fill(1024 * 1024 + 1));
      const big = await runBounded(["ps"], { home, env });
      assert.equal(big.code, 1);
      assert.equal(
        big.stderr,
        `[ERROR] Cannot read config file ${home}/auth.ini: larger than 1 MiB\n`,
      );
      Deno.writeTextFileSync(`${home}/auth.ini`, fill(1024 * 1024));
      const ok = await runBounded(["-L", "debug", "ps"], {
        home,
        env: { ...env, CONTREE_RETRY_DELAYS: "" },
      });
      // Read and parsed: the run gets as far as the (unreachable) API.
      assert.match(ok.stderr, /GET \/v1\/operations/);
    });
  },
});

Deno.test("a session history whose parent links form a cycle: one error line, nothing sent", () =>
  withEmulator(async (emu) => {
    for (const uuid of Object.values(OPS)) emu.add({ uuid, status: "EXECUTING" });
    await withHome(homeFor(emu), async (home) => {
      const db = SessionDb.create(sessionDbPath(home, "default", {}));
      try {
        // 1 (A) is a root; 2 (B) and 3 (C) are each other's parent; 4 (D) is its own parent.
        db.add("s", { id: 1, op: OPS.A });
        db.add("s", { id: 2, parent: 3, op: OPS.B });
        db.add("s", { id: 3, parent: 2, op: OPS.C });
        db.add("t", { id: 4, parent: 4, op: OPS.D });
        db.tip("s", 3);
        db.tip("t", 4);
      } finally {
        db.close();
      }
      const cycle = (id: number) =>
        `[ERROR] Cannot resolve history references: the session database ` +
        `${sessionDbPath(home, "default", {})} is damaged ` +
        `(the parent links of entry ${id} form a cycle)\n`;
      for (
        const [session, ref, id] of [
          ["s", "HEAD~2", 3],
          ["s", "HEAD~1000000000000000000", 3],
          ["s", "@+5", 3],
          ["t", "HEAD~1", 4],
          ["t", "@+1", 4],
        ] as const
      ) {
        const r = await runBounded(["-S", session, "kill", OPS.E, ref], { home });
        assert.ok(!r.killed);
        assert.equal(r.code, 1, `${ref}: ${r.stderr}`);
        assert.equal(r.stderr, cycle(id), ref);
      }
      // One step that stays off the cycle still resolves.
      const one = await runBounded(["-S", "s", "kill", "HEAD~1"], { home });
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual(emu.seen("DELETE").map((r) => r.path), [`/v1/operations/${OPS.B}`]);
    });
  }));

/** Every spelling of the token a hostile server might echo, and its substrings. */
function tokenLeaks(stderr: string, token: string, min = 6): string[] {
  // Undo JSON and URL escaping so an escaped echo counts as the token itself.
  const decoded = stderr
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\\//g, "/")
    .replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  const leaks = new Set<string>();
  for (let i = 0; i + min <= token.length; i++) {
    const piece = token.slice(i, i + min);
    if (stderr.includes(piece) || decoded.includes(piece)) leaks.add(piece);
  }
  return [...leaks];
}

Deno.test("-L debug never shows any part of the token a server echoes back", async () => {
  const token = "Zq9/Xw+Vt=Ku8.Lp_Rm-Ny7~Hs3Wj";
  const escapedAll = [...token].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .join("");
  const head = `{"raw": "${token}", "slashes": "${token.replaceAll("/", "\\/")}", ` +
    `"unicode": "${escapedAll}", "upper": "${
      escapedAll.toUpperCase().replaceAll("\\U", "\\u")
    }", ` +
    `"url": "${encodeURIComponent(token)}", "pad": "`;
  // The body is cut at 4096 bytes for the log: put a raw echo across the cut.
  const body = head + "x".repeat(4096 - head.length - 10) + token + `"}`;
  assert.ok(body.length > 4096 && body.indexOf(token, 4000) < 4096);
  const seen: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      seen.push(`${req.method} ${new URL(req.url).pathname}`);
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
    },
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    await withHome(makeHome([{ token, url }]), async (home) => {
      for (const args of [["show", OPS.A], ["ps"]]) {
        const r = await runBounded(["-L", "debug", ...args], {
          home,
          env: { CONTREE_RETRY_DELAYS: "" },
        });
        assert.ok(r.stderr.includes("response body: "), r.stderr);
        assert.ok(r.stderr.includes("... <truncated, "), r.stderr);
        assert.deepEqual(tokenLeaks(r.stderr, token), [], r.stderr);
      }
    });
    assert.ok(seen.length >= 2, seen.join());
  } finally {
    await server.shutdown();
  }
});

Deno.test("usage errors show control characters of argv escaped", async () => {
  await withHome(makeHome(), async (home) => {
    const r = await runBounded([`\x1b]0;pwned\x07`], { home });
    assert.equal(r.code, 2);
    assert.ok(!UNSAFE.test(r.stderr), JSON.stringify(r.stderr));
    assert.match(r.stderr, /invalid choice: '\\x1b\]0;pwned\\x07'/);
    const opt = await runBounded(["ps", "--status", `\u202eEVIL`], { home });
    assert.equal(opt.code, 2);
    assert.ok(!UNSAFE.test(opt.stderr), JSON.stringify(opt.stderr));
    assert.match(opt.stderr, /\\u202eEVIL/);
  });
});
