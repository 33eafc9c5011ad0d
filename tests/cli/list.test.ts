// End-to-end tests of `contree ps` / `op list` / `op ls`: the real main.ts against the emulator.
import assert from "node:assert/strict";
import type { Emulator } from "../emulator/server.ts";
import { homeFor, lines, runContree, withEmulator } from "../helpers.ts";

const ONE = { CONTREE_CONCURRENCY: "1" };
const listSearches = (emu: Emulator) => emu.seen("GET", "/v1/operations").map((r) => r.search);
const jsonRows = (stdout: string) =>
  stdout.trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l));

Deno.test("ps: default lists EXECUTING only; 3 concurrent pages at default settings", () =>
  withEmulator(async (emu) => {
    const running = emu.seed(2, { status: "EXECUTING" });
    emu.seed(1, { status: "PENDING" });
    const r = await runContree(["-f", "json", "ps"], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      jsonRows(r.stdout).map((o) => o.uuid).sort(),
      running.map((o) => o.uuid).sort(),
    );
    assert.deepEqual(listSearches(emu).sort(), [
      "status=EXECUTING&offset=0&limit=1000",
      "status=EXECUTING&offset=1000&limit=1000",
      "status=EXECUTING&offset=2000&limit=1000",
    ]);
  }));

Deno.test("ps, op list, op ls and operation list run the same listing", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    for (const words of [["ps"], ["op", "list"], ["op", "ls"], ["operation", "list"]]) {
      const r = await runContree([...words, "-q"], { home: homeFor(emu), env: ONE });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${op.uuid}\n`, words.join(" "));
    }
    assert.deepEqual(listSearches(emu), Array(4).fill("status=EXECUTING&offset=0&limit=1000"));
  }));

Deno.test("ps: filters are sent in the order status, kind, since, until, offset, limit", () =>
  withEmulator(async (emu) => {
    const r = await runContree(
      [
        "ps",
        "--until",
        "2025-01-02",
        "-k",
        "image_import",
        "--since",
        "2024-12-31T10:20:30+05:00",
        "--status",
        "F",
        "-M",
        "4",
      ],
      { home: homeFor(emu), env: ONE },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listSearches(emu), [
      "status=FAILED&kind=image_import&since=2024-12-31T10%3A20%3A30Z&until=2025-01-02T00%3A00%3A00Z&offset=0&limit=5",
    ]);
    const rel = await runContree(["ps", "--since", "1h", "--kind", "instance"], {
      home: homeFor(emu),
      env: ONE,
    });
    assert.equal(rel.code, 0, rel.stderr);
    const q = emu.requests.at(-1)!.query;
    assert.equal(q.kind, "instance");
    const ago = Date.now() - Date.parse(q.since);
    assert.ok(ago > 3500_000 && ago < 3700_000, q.since);
  }));

Deno.test("ps --status: every letter and word is sent as the full word; -a drops the filter", () =>
  withEmulator(async (emu) => {
    const words: Record<string, string> = {
      P: "PENDING",
      A: "ASSIGNED",
      E: "EXECUTING",
      S: "SUCCESS",
      F: "FAILED",
      C: "CANCELLED",
    };
    for (const [letter, word] of Object.entries(words)) {
      for (const arg of [letter, word]) {
        const r = await runContree(["ps", "--status", arg], { home: homeFor(emu), env: ONE });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(emu.requests.at(-1)!.query.status, word);
      }
    }
    emu.seed(1, { status: "SUCCESS" });
    emu.seed(1, { status: "PENDING" });
    const all = await runContree(["-f", "json", "ps", "-a"], { home: homeFor(emu), env: ONE });
    assert.equal(all.code, 0, all.stderr);
    assert.equal(emu.requests.at(-1)!.search, "offset=0&limit=1000");
    assert.deepEqual(jsonRows(all.stdout).map((o) => o.status).sort(), ["PENDING", "SUCCESS"]);
    const both = await runContree(["ps", "-a", "--status", "FAILED"], {
      home: homeFor(emu),
      env: ONE,
    });
    assert.equal(both.code, 0);
    assert.equal(emu.requests.at(-1)!.query.status, "FAILED");
    const bad = await runContree(["ps", "--status", "X"], { home: homeFor(emu) });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /argument --status: invalid choice: 'X'/);
  }));

Deno.test("ps -M: budget, page size limit+1, truncation warning only when more exist", () =>
  withEmulator(async (emu) => {
    const ops = emu.seed(5);
    const newest = [...ops].reverse().map((o) => o.uuid);
    const three = await runContree(["ps", "-q", "-M", "3"], { home: homeFor(emu), env: ONE });
    assert.equal(three.code, 0, three.stderr);
    assert.equal(three.stdout, newest.slice(0, 3).map((u) => `${u}\n`).join(""));
    assert.deepEqual(lines(three.stderr), [
      "[WARNING] Output truncated at --show-max=3 operations; more results are available. Raise --show-max or filter with --status/--kind/--since/--until.",
    ]);
    assert.equal(emu.requests.at(-1)!.search, "status=EXECUTING&offset=0&limit=4");
    const exact = await runContree(["ps", "-q", "--show-max", "5"], {
      home: homeFor(emu),
      env: ONE,
    });
    assert.equal(exact.stdout.split("\n").filter(Boolean).length, 5);
    assert.equal(exact.stderr, "");
    const roomy = await runContree(["ps", "-q", "-M", "100"], { home: homeFor(emu), env: ONE });
    assert.equal(roomy.stderr, "");
    const one = await runContree(["-f", "csv", "ps", "-M", "1"], { home: homeFor(emu), env: ONE });
    assert.equal(one.stdout.split("\r\n").filter(Boolean).length, 2); // header + 1 row
    for (const bad of ["0", "-1", "x"]) {
      const r = await runContree(["ps", "-M", bad], { home: homeFor(emu) });
      assert.equal(r.code, 2);
    }
    const zero = await runContree(["ps", "-M", "0"], { home: homeFor(emu) });
    assert.match(zero.stderr, /contree ps: error: argument -M\/--show-max: must be >= 1, got 0\n$/);
  }));

Deno.test("ps: a table prints rows before the truncation warning", () =>
  withEmulator(async (emu) => {
    emu.seed(5);
    const r = await runContree(["ps", "-M", "3"], { home: homeFor(emu), env: ONE });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split("\n");
    assert.equal(out.length, 4);
    assert.match(out[0], /^UUID +KIND +STATUS +DURATION +CREATED_AT +UPDATED_AT +ERROR$/);
    assert.match(r.stderr, /^\[WARNING\] Output truncated at --show-max=3/);
  }));

Deno.test("ps: full pages are followed; a short page stops; rows come in offset order", () =>
  withEmulator(async (emu) => {
    emu.seed(1003);
    const r = await runContree(["-f", "json", "ps", "-M", "2000"], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const rows = jsonRows(r.stdout);
    assert.equal(rows.length, 1003);
    const want = [...emu.ops.values()].reverse().map((o) => o.uuid);
    assert.deepEqual(rows.map((o) => o.uuid), want);
    // -M 2000: page size 1000, at most 4 pages; concurrency 8 starts all four at once.
    assert.deepEqual(listSearches(emu).sort(), [
      "status=EXECUTING&offset=0&limit=1000",
      "status=EXECUTING&offset=1000&limit=1000",
      "status=EXECUTING&offset=2000&limit=1000",
      "status=EXECUTING&offset=3000&limit=1000",
    ]);
    const seq = await runContree(["ps", "-q", "-M", "1002"], { home: homeFor(emu), env: ONE });
    assert.equal(seq.stdout.split("\n").filter(Boolean).length, 1002);
    assert.match(seq.stderr, /truncated at --show-max=1002/);
    assert.deepEqual(listSearches(emu).slice(4), [
      "status=EXECUTING&offset=0&limit=1000",
      "status=EXECUTING&offset=1000&limit=1000",
    ]);
  }));

Deno.test("ps: queued pages are skipped once a short page arrives (concurrency 2)", () =>
  withEmulator(async (emu) => {
    emu.seed(3);
    // -M 5000: page size 1000, max 6 pages; two in flight, the first is short → no third.
    const r = await runContree(["ps", "-q", "-M", "5000"], {
      home: homeFor(emu),
      env: { CONTREE_CONCURRENCY: "2" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split("\n").filter(Boolean).length, 3);
    assert.deepEqual(listSearches(emu).sort(), [
      "status=EXECUTING&offset=0&limit=1000",
      "status=EXECUTING&offset=1000&limit=1000",
    ]);
  }));

Deno.test("ps: empty result prints nothing at all, in every format", () =>
  withEmulator(async (emu) => {
    for (const f of ["default", "table", "plain", "json", "json-pretty", "csv", "tsv", "toml"]) {
      const r = await runContree(["-f", f, "ps"], { home: homeFor(emu) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "", f);
      assert.equal(r.stderr, "", f);
    }
  }));

Deno.test("ps: unknown scalar fields appear, nested ones are dropped, error is last", () =>
  withEmulator(async (emu) => {
    emu.add({
      error: "OOM killed",
      status: "FAILED",
      cost: 0.0042,
      project_id: "p-1",
      finished_at: "2026-01-01T00:01:00Z",
      tags: ["x"],
      after_error: 7,
      duration: null,
    });
    const r = await runContree(["-f", "json", "ps", "-a"], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const [row] = jsonRows(r.stdout);
    const keys = Object.keys(row);
    assert.equal(keys.at(-1), "error");
    assert.equal(row.error, "OOM killed");
    assert.equal(row.cost, 0.0042);
    assert.equal(row.project_id, "p-1");
    assert.equal(row.finished_at, "2026-01-01T00:01:00Z"); // not typed: passed through
    assert.equal(row.after_error, 7);
    assert.equal(row.duration, null);
    assert.ok(!("tags" in row) && !("metadata" in row) && !("result" in row));
  }));

Deno.test('ps: the {"operations": [...]} list shape is accepted; garbage is a clean error', () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    const { metadata: _m, result: _r, ...summary } = op;
    emu.fault({ status: 200, body: JSON.stringify({ operations: [summary] }) });
    const ok = await runContree(["ps", "-q"], { home: homeFor(emu), env: ONE });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${op.uuid}\n`);
    emu.fault({ status: 200, body: JSON.stringify([{ id: "no-uuid" }]) });
    const bad = await runContree(["ps"], { home: homeFor(emu), env: ONE });
    assert.equal(bad.code, 1);
    assert.deepEqual(lines(bad.stderr), [
      "[ERROR] Malformed response from GET /v1/operations: operation has no string uuid",
    ]);
    emu.fault({ status: 200, body: "<html>" });
    const html = await runContree(["ps"], { home: homeFor(emu), env: ONE });
    assert.equal(html.code, 1);
    assert.match(html.stderr, /^\[ERROR\] Malformed response from GET .*: not JSON: "<html>"\n$/);
  }));

Deno.test("ps: API errors end the command (exit 1); 5xx is retried first", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    emu.fault({ status: 503 });
    const retried = await runContree(["ps", "-q"], { home: homeFor(emu), env: ONE });
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(retried.stdout, `${op.uuid}\n`);
    assert.match(retried.stderr, /^\[WARNING\] Server error 503, retrying in 0\.01s…\n$/);
    emu.fault({ status: 403, body: "nope" });
    const denied = await runContree(["ps"], { home: homeFor(emu), env: ONE });
    assert.equal(denied.code, 1);
    assert.deepEqual(lines(denied.stderr), ["[ERROR] API 403 Forbidden: nope"]);
    assert.equal(denied.stdout, "");
  }));

Deno.test("ps: bad --since/--until values are usage errors (exit 2), nothing sent", () =>
  withEmulator(async (emu) => {
    const r = await runContree(["ps", "--since", "86400"], { home: homeFor(emu) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^usage: contree ps /);
    assert.match(r.stderr, /\ncontree ps: error: argument --since: month must be in 1\.\.12\n$/);
    const u = await runContree(["op", "ls", "--until", "2025-02-30"], { home: homeFor(emu) });
    assert.equal(u.code, 2);
    assert.match(
      u.stderr,
      /contree operation list: error: argument --until: day is out of range for month\n$/,
    );
    assert.equal(emu.requests.length, 0);
  }));

Deno.test("ps: works under an API path prefix", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    const r = await runContree(["ps", "-q"], { home: homeFor(emu), env: ONE });
    assert.equal(r.stdout, `${op.uuid}\n`);
    assert.equal(emu.requests[0].path, "/api/v1/operations");
  }, { prefix: "/api" }));
