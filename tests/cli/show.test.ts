// End-to-end tests of `contree show` / `op show` / `op sh`: the real main.ts against the emulator.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Emulator } from "../emulator/server.ts";
import { homeFor, lines, runContree, withEmulator } from "../helpers.ts";

const MISSING = "019e3fb6-e447-760d-b7ab-62ef51f91b1f";
const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

/** A finished instance operation with sandbox output. */
function finished(emu: Emulator, opts: { exit?: number; stdout?: unknown; stderr?: unknown } = {}) {
  return emu.add({
    status: "SUCCESS",
    duration: 2.5,
    metadata: {
      command: "echo",
      result: {
        state: { exit_code: opts.exit ?? 0, timed_out: false },
        stdout: opts.stdout ?? null,
        stderr: opts.stderr ?? null,
      },
    },
    result: { image: "img-out-uuid", tag: null },
  });
}

const cacheDb = (home: string) => `${home}/cli/sessions/default.db`;

Deno.test("show: one UUID, JSON row with derived exit_code, image, tag and error last", () =>
  withEmulator(async (emu) => {
    const op = finished(emu, { exit: 3 });
    const r = await runContree(["-f", "json", "show", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr); // the sandbox's exit code never changes show's status
    const row = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(row), [
      "uuid",
      "kind",
      "status",
      "duration",
      "created_at",
      "updated_at",
      "exit_code",
      "image",
      "tag",
      "stdout",
      "stderr",
      "error",
    ]);
    assert.equal(row.exit_code, 3);
    assert.equal(row.image, "img-out-uuid");
    assert.equal(row.tag, "");
    assert.equal(row.error, "");
    assert.match(r.stdout, /"duration": 2\.5,/);
    assert.deepEqual(emu.seen("GET").map((q) => q.path), [`/v1/operations/${op.uuid}`]);
  }));

Deno.test("show, op show, op sh: several UUIDs in order; a 404 is logged, the rest shown, exit 1", () =>
  withEmulator(async (emu) => {
    const [a, b] = emu.seed(2, { status: "EXECUTING" });
    for (const words of [["show"], ["op", "show"], ["op", "sh"]]) {
      const before = emu.requests.length;
      const r = await runContree(["-f", "json", ...words, MISSING, a.uuid, `${b.uuid}`], {
        home: homeFor(emu),
      });
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stderr), [
        `[ERROR] Failed to fetch ${MISSING}: API 404 Not Found: {"detail":"Operation not found"}`,
      ]);
      assert.deepEqual(r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).uuid), [
        a.uuid,
        b.uuid,
      ]);
      assert.deepEqual(
        emu.requests.slice(before).map((q) => q.path),
        [MISSING, a.uuid, b.uuid].map((u) => `/v1/operations/${u}`),
      );
    }
  }));

Deno.test("show: an upper-case UUID is sent canonical; no UUID is a usage error", () =>
  withEmulator(async (emu) => {
    const op = finished(emu);
    const r = await runContree(["show", op.uuid.toUpperCase()], {
      home: homeFor(emu),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(emu.seen("GET").map((q) => q.path), [`/v1/operations/${op.uuid}`]);
    const none = await runContree(["op", "show"], { home: homeFor(emu) });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /error: the following arguments are required: UUID_OR_REF\n$/);
  }));

Deno.test("show --raw: one compact JSON line per payload, verbatim, nested kept, -f ignored", () =>
  withEmulator(async (emu) => {
    const a = finished(emu, { exit: 7 });
    const b = emu.add({
      future_field: "caf\u00e9",
      big: 12345678901234567890n as unknown as number,
    });
    const c = emu.add({ duration: 5 });
    // The emulator serialises with JSON.stringify; give it a body with exact numbers instead.
    emu.fault({
      status: 200,
      body: `{"uuid": "${b.uuid}", "future_field": "caf\u00e9", "big": 12345678901234567890, ` +
        `"d": 5.0, "metadata": {"x": [1, {"y": null}]}}`,
    });
    const r = await runContree(["-f", "table", "show", "--raw", b.uuid, a.uuid, c.uuid], {
      home: homeFor(emu),
    });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split("\n");
    assert.equal(out.length, 4);
    assert.equal(
      out[0],
      `{"uuid": "${b.uuid}", "future_field": "caf\\u00e9", "big": 12345678901234567890, "d": 5.0, "metadata": {"x": [1, {"y": null}]}}`,
    );
    const pa = JSON.parse(out[1]);
    assert.equal(pa.uuid, a.uuid);
    assert.equal(pa.metadata.result.state.exit_code, 7);
    assert.equal(pa.created_at, a.created_at); // original timestamp text
    assert.ok(!("exit_code" in pa) && !("image" in pa));
    assert.equal(JSON.parse(out[2]).uuid, c.uuid);
  }));

Deno.test("show: default format prints decoded stdout and stderr after the table row", () =>
  withEmulator(async (emu) => {
    const op = finished(emu, {
      exit: 3,
      stdout: { value: b64("hello\nw\u00f6rld"), encoding: "base64", truncated: false },
      stderr: { value: "warn line", encoding: "ascii" },
    });
    const r = await runContree(["show", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split("\n");
    assert.match(
      out[0],
      /^UUID +KIND +STATUS +DURATION +CREATED_AT +UPDATED_AT +EXIT_CODE +IMAGE +TAG +ERROR$/,
    );
    assert.match(
      out[1],
      /^\S+ +instance +SUCCESS +2s +2026-01-01 00:00:\d\d +\S+ \S+ +3 +img-out-uuid +$/,
    );
    assert.deepEqual(out.slice(2), ["hello", "w\u00f6rld", ""]);
    assert.equal(r.stderr, "warn line\n");
    const plain = finished(emu, { stdout: { value: "no newline" } });
    const p = await runContree(["show", plain.uuid], { home: homeFor(emu) });
    assert.ok(p.stdout.endsWith("\nno newline\n"));
    const quiet = finished(emu);
    const q = await runContree(["show", quiet.uuid], { home: homeFor(emu) });
    assert.equal(q.stdout.trimEnd().split("\n").length, 2);
    assert.equal(q.stderr, "");
  }));

Deno.test("show: json/json-pretty carry the streams as fields; other formats drop them", () =>
  withEmulator(async (emu) => {
    const op = finished(emu, {
      stdout: { value: b64("OUT-TEXT\n"), encoding: "base64" },
      stderr: { value: "ERR-TEXT", encoding: "ascii" },
    });
    const other = emu.add({ kind: "image_import", status: "SUCCESS", result: null });
    const pretty = await runContree(["-f", "json-pretty", "show", op.uuid, other.uuid], {
      home: homeFor(emu),
    });
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.equal(pretty.stderr, "");
    const rows = JSON.parse(pretty.stdout);
    assert.equal(rows[0].stdout, "OUT-TEXT\n");
    assert.equal(rows[0].stderr, "ERR-TEXT");
    assert.equal(rows[1].stdout, "");
    assert.equal(rows[1].result, null); // a null result stays a column
    for (const f of ["csv", "tsv", "plain", "table", "toml"]) {
      const r = await runContree(["-f", f, "show", op.uuid], { home: homeFor(emu) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "", f);
      assert.doesNotMatch(r.stdout, /OUT-TEXT|ERR-TEXT/, f);
    }
  }));

Deno.test("show: terminal results are cached in the session DB; active ones are not", () =>
  withEmulator(async (emu) => {
    const home = homeFor(emu);
    const done = finished(emu, { exit: 1 });
    const failed = emu.add({ status: "FAILED", error: "timeout" });
    const running = emu.add({ status: "EXECUTING" });
    const ids = [done.uuid, failed.uuid, running.uuid];
    const first = await runContree(["-f", "json", "show", ...ids], { home });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(emu.seen("GET").length, 3);
    const second = await runContree(["-f", "json", "show", ...ids], { home });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(emu.seen("GET").slice(3).map((q) => q.path), [
      `/v1/operations/${running.uuid}`,
    ]);
    assert.equal(second.stdout, first.stdout);
    const db = new DatabaseSync(cacheDb(home), { readOnly: true });
    try {
      const rows = db.prepare(
        "SELECT image_uuid, kind, value FROM image_cache ORDER BY image_uuid",
      ).all() as { image_uuid: string; kind: string; value: string }[];
      assert.deepEqual(rows.map((r) => r.image_uuid), [done.uuid, failed.uuid].sort());
      assert.ok(rows.every((r) => r.kind === "operation" && r.value.startsWith("json:")));
      const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
      assert.equal(mode.journal_mode, "wal");
      // The original's schema: the history tables exist too.
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
        .map((t) => (t as { name: string }).name);
      for (const t of ["session_state", "session_branches", "session_history", "image_cache"]) {
        assert.ok(tables.includes(t), t);
      }
    } finally {
      db.close();
    }
  }));

Deno.test("show cache: big payloads are gzipped; plain-JSON values from others are read", () =>
  withEmulator(async (emu) => {
    const home = homeFor(emu);
    const big = emu.add({ status: "SUCCESS", note: "x".repeat(3000) });
    const r = await runContree(["-f", "json", "show", big.uuid], { home });
    assert.equal(r.code, 0, r.stderr);
    const db = new DatabaseSync(cacheDb(home));
    try {
      const { value } = db.prepare("SELECT value FROM image_cache WHERE image_uuid = ?").get(
        big.uuid,
      ) as { value: string };
      assert.match(value, /^gzip:[A-Za-z0-9+/]+=*$/);
      const fake = "019e3fb6-e5c3-7184-96f1-f7d56453a193";
      db.prepare("INSERT INTO image_cache VALUES (?, 'operation', ?)").run(
        fake,
        JSON.stringify({ uuid: fake, status: "SUCCESS", cached_note: "from the original" }),
      );
    } finally {
      db.close();
    }
    const again = await runContree([
      "-f",
      "json",
      "show",
      big.uuid,
      "019e3fb6-e5c3-7184-96f1-f7d56453a193",
    ], {
      home,
    });
    assert.equal(again.code, 0, again.stderr);
    const [a, b] = again.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(a.note.length, 3000);
    assert.equal(b.cached_note, "from the original");
    assert.equal(emu.seen("GET").length, 1);
  }));

Deno.test("show: a server adding a field shows it; a malformed operation is a clean error", () =>
  withEmulator(async (emu) => {
    const op = emu.add({ status: "EXECUTING", session_key: "s1", future_field: 42 });
    const r = await runContree(["-f", "csv", "show", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.split("\r\n");
    assert.deepEqual(header.split(",").slice(-6), [
      "session_key",
      "future_field",
      "exit_code",
      "image",
      "tag",
      "error",
    ]);
    assert.ok(row.includes(",s1,42,,,,"), row);
    emu.fault({ status: 200, body: '["not", "an", "object"]' });
    const arr = await runContree(["show", op.uuid], { home: homeFor(emu) });
    assert.equal(arr.code, 1);
    assert.deepEqual(lines(arr.stderr), [
      `[ERROR] Malformed response from GET /v1/operations/${op.uuid}: operation is not an object`,
    ]);
    emu.fault({ status: 200, body: '{"status": "SUCCESS"}' });
    const noUuid = await runContree(["show", op.uuid], { home: homeFor(emu) });
    assert.equal(noUuid.code, 1);
    assert.match(noUuid.stderr, /operation has no string uuid\n$/);
    emu.fault({ status: 200, body: "{truncated" });
    const broken = await runContree(["show", op.uuid], { home: homeFor(emu) });
    assert.equal(broken.code, 1);
    assert.match(
      broken.stderr,
      /^\[ERROR\] Malformed response from GET .*: not JSON: "\{truncated"\n$/,
    );
    assert.equal(broken.stdout, "");
  }));

Deno.test("show: SUCCESS with exit code 1 stays SUCCESS in the row; null fields are fine", () =>
  withEmulator(async (emu) => {
    const op = finished(emu, { exit: 1 });
    const odd = emu.add({ status: "SUCCESS", duration: null, result: { image: null, tag: null } });
    const r = await runContree(["-f", "csv", "show", op.uuid, odd.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const [header, first, second] = r.stdout.split("\r\n").map((l) => l.split(","));
    const col = (name: string) => header.indexOf(name);
    assert.equal(first[col("status")], "SUCCESS");
    assert.equal(first[col("exit_code")], "1");
    assert.equal(second[col("duration")], "");
    assert.equal(second[col("image")], "");
  }));

Deno.test("show: each operation's columns in its own field order (the API's, not the first row's)", () =>
  withEmulator(async (emu) => {
    const first = emu.add({ status: "SUCCESS" });
    // The API gave this one its fields in another order.
    const { uuid, kind, status, created_at, ...rest } = emu.add({ status: "FAILED" });
    const second = { status, created_at, kind, uuid, ...rest };
    emu.ops.set(uuid, second);
    const r = await runContree(["-f", "json", "show", first.uuid, uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const keys = r.stdout.trimEnd().split("\n").map((l) => Object.keys(JSON.parse(l)).slice(0, 4));
    assert.deepEqual(keys, [
      ["uuid", "kind", "status", "duration"],
      ["status", "created_at", "kind", "uuid"],
    ]);
  }));
