// Every -f format of ps, show and op wait, parsed back where the format allows it.
import assert from "node:assert/strict";
import type { Emulator } from "../emulator/server.ts";
import { homeFor, runContree, withEmulator } from "../helpers.ts";
import { delimitedRecords, parseTomlResults } from "../output/parsers.ts";

/** Two operations with awkward values: comma, quote, tab, newline, non-ASCII, extra fields. */
function seed(emu: Emulator) {
  const a = emu.add({
    status: "FAILED",
    error: 'OOM, "killed"\n\tat line 2',
    duration: 3725,
    created_at: "2026-02-25T18:16:28.250+02:00",
    cost: 0.0042,
    flag: true,
    note: "caf\u00e9 \u2615",
  });
  const b = emu.add({
    status: "SUCCESS",
    error: null,
    duration: 75.5,
    created_at: "2026-03-01T00:00:00Z",
  });
  return [b, a]; // newest first, as the listing returns them
}

Deno.test("ps -f json and json-pretty: valid JSON, typed values, Python escapes", () =>
  withEmulator(async (emu) => {
    const [b, a] = seed(emu);
    const home = homeFor(emu);
    const json = await runContree(["-f", "json", "ps", "-a"], { home });
    assert.equal(json.code, 0, json.stderr);
    const rows = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.uuid), [b.uuid, a.uuid]);
    assert.equal(rows[1].created_at, "2026-02-25T16:16:28.250000+00:00");
    assert.equal(rows[1].error, 'OOM, "killed"\n\tat line 2');
    assert.equal(rows[1].note, "caf\u00e9 \u2615");
    assert.equal(rows[0].error, "");
    assert.match(json.stdout, /"note": "caf\\u00e9 \\u2615"/);
    assert.match(json.stdout, /"duration": 3725\.0, /);
    const pretty = await runContree(["-f", "json-pretty", "ps", "-a"], { home });
    assert.deepEqual(JSON.parse(pretty.stdout), rows);
    assert.ok(pretty.stdout.startsWith('[\n{\n  "uuid": '));
  }));

Deno.test("ps -f csv and tsv: parse back, aligned to the header, human values", () =>
  withEmulator(async (emu) => {
    const [b, a] = seed(emu);
    const home = homeFor(emu);
    for (const [format, delimiter] of [["csv", ","], ["tsv", "\t"]]) {
      const r = await runContree(["-f", format, "ps", "-a"], { home });
      assert.equal(r.code, 0, r.stderr);
      const recs = delimitedRecords(r.stdout, delimiter);
      assert.deepEqual(Object.keys(recs[0]), [
        "uuid",
        "kind",
        "status",
        "duration",
        "created_at",
        "updated_at",
        "error",
      ]);
      assert.deepEqual(recs.map((x) => x.uuid), [b.uuid, a.uuid]);
      // The second row's extra fields (cost, flag, note) are dropped: the header decides.
      assert.equal(recs[1].error, 'OOM, "killed"\n\tat line 2');
      assert.equal(recs[1].duration, "1h2m");
      assert.equal(recs[0].duration, "1m15s");
      assert.equal(recs[1].created_at, "2026-02-25 16:16:28"); // TZ=UTC
    }
  }));

Deno.test("ps -f toml: parses back as [[results]] tables", () =>
  withEmulator(async (emu) => {
    const [b, a] = seed(emu);
    const r = await runContree(["-f", "toml", "ps", "-a"], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const tables = parseTomlResults(r.stdout);
    assert.deepEqual(tables.map((t) => t.uuid), [b.uuid, a.uuid]);
    assert.deepEqual(tables[1].created_at, { datetime: "2026-02-25T16:16:28.250000+00:00" });
    assert.equal(tables[1].duration, 3725);
    assert.match(r.stdout, /^duration = 3725\.0$/m);
    assert.equal(tables[1].cost, 0.0042);
    assert.equal(tables[1].flag, true);
    assert.equal(tables[1].note, "caf\u00e9 \u2615");
    assert.equal(tables[1].error, 'OOM, "killed"\n\tat line 2');
  }));

Deno.test("ps -f table, default and plain: the original's layouts", () =>
  withEmulator(async (emu) => {
    const [b, a] = seed(emu);
    const home = homeFor(emu);
    const table = await runContree(["-f", "table", "ps", "-a"], { home });
    const dflt = await runContree(["ps", "-a"], { home });
    assert.equal(table.stdout, dflt.stdout);
    const out = table.stdout.split("\n");
    assert.match(
      out[0],
      /^UUID {34}KIND {6}STATUS {3}DURATION {2}CREATED_AT {11}UPDATED_AT {11}ERROR +$/,
    );
    assert.ok(out[1].startsWith(`${b.uuid}  instance  SUCCESS  1m15s     `));
    assert.ok(out[2].startsWith(`${a.uuid}  instance  FAILED   1h2m      2026-02-25 16:16:28`));
    assert.ok(out[2].endsWith('OOM, "killed"'), out[2]);
    assert.equal(out[3].trim(), "at line 2");
    assert.ok(out.every((l) => l === "" || l.length === out[0].length), "every line padded");
    const plain = await runContree(["-f", "plain", "ps", "-a"], { home });
    const blocks = plain.stdout.split("---\n");
    assert.equal(blocks.length, 2);
    assert.match(blocks[1], /^uuid: {7}\S+\n/);
    assert.match(blocks[1], /\ncost: {7}0\.00\nflag: {7}true\n/);
    assert.match(blocks[1], /\nerror: {6}OOM, "killed"\n {12}\tat line 2\n$/);
  }));

Deno.test("colour: never on a pipe, even with FORCE_COLOR unset or NO_COLOR set", () =>
  withEmulator(async (emu) => {
    seed(emu);
    const home = homeFor(emu);
    const r = await runContree(["ps", "-a"], { home, env: { NO_COLOR: "" } });
    assert.ok(!r.stdout.includes("\x1b["));
    const forced = await runContree(["ps", "-a"], {
      home,
      env: { NO_COLOR: "", FORCE_COLOR: "1" },
    });
    assert.ok(forced.stdout.startsWith("\x1b[1mUUID"));
    const vetoed = await runContree(["ps", "-a"], {
      home,
      env: { NO_COLOR: "1", FORCE_COLOR: "1" },
    });
    assert.ok(!vetoed.stdout.includes("\x1b["));
  }));

Deno.test("show and op wait in every format: one row each, parseable", () =>
  withEmulator(async (emu) => {
    const op = emu.add({ status: "SUCCESS", metadata: { result: { state: { exit_code: 0 } } } });
    const home = homeFor(emu);
    for (const [cmd, words] of [["show", ["show"]], ["wait", ["op", "wait"]]] as const) {
      for (const f of ["default", "table", "plain", "json", "json-pretty", "csv", "tsv", "toml"]) {
        const r = await runContree(["-f", f, ...words, op.uuid], { home });
        assert.equal(r.code, 0, `${cmd} ${f}: ${r.stderr}`);
        const check: Record<string, () => unknown> = {
          json: () => JSON.parse(r.stdout).uuid,
          "json-pretty": () => JSON.parse(r.stdout)[0].uuid,
          csv: () => delimitedRecords(r.stdout)[0].uuid,
          tsv: () => delimitedRecords(r.stdout, "\t")[0].uuid,
          toml: () => parseTomlResults(r.stdout)[0].uuid,
          plain: () => /^uuid: +(\S+)$/m.exec(r.stdout)?.[1],
          default: () => r.stdout.split("\n")[1].split(" ")[0],
          table: () => r.stdout.split("\n")[1].split(" ")[0],
        };
        assert.equal(check[f](), op.uuid, `${cmd} ${f}`);
        if (cmd === "wait" && f === "csv") {
          assert.deepEqual(Object.keys(delimitedRecords(r.stdout)[0]).slice(0, 5), [
            "uuid",
            "status",
            "exit_code",
            "timed_out",
            "duration",
          ]);
        }
      }
    }
  }));
