// Unit tests of the output formatter: every format, typing, column order, quoting.
import assert from "node:assert/strict";
import { createFormatter } from "../../lib/output/formatter.ts";
import { dumps, floatRepr, parseJson, PyFloat } from "../../lib/output/pyjson.ts";
import { fit, shrink } from "../../lib/output/table.ts";
import { Duration, human, Timestamp } from "../../lib/output/values.ts";
import { delimitedRecords, parseDelimited, parseTomlResults } from "./parsers.ts";

/** Human formats print local time; these expectations are written for UTC (`TZ=UTC`). */
const notUtc = new Date(2025, 0, 1).getTimezoneOffset() !== 0 ||
  new Date(2025, 6, 1).getTimezoneOffset() !== 0;

function render(
  format: string,
  records: Record<string, unknown>[],
  opts: { head?: string[]; tail?: string[]; flushEach?: boolean; isTerminal?: boolean } = {},
): string {
  const out: string[] = [];
  const f = createFormatter(format, {
    stdout: { write: (t) => out.push(t) },
    isTerminal: opts.isTerminal ?? false,
    head: opts.head,
    tail: opts.tail ?? ["error"],
  });
  for (const r of records) {
    f.emit(r);
    if (opts.flushEach) f.flush();
  }
  f.close();
  return out.join("");
}

const A = {
  uuid: "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f",
  error: null,
  kind: "instance",
  status: "EXECUTING",
  duration: 75.5,
  created_at: "2025-06-01T00:00:00Z",
  metadata: { command: "true" },
  tags: ["a"],
};
const B = {
  uuid: "019e3fb6-e447-760d-b7ab-62ef51f91b1f",
  kind: "image_import",
  status: "FAILED",
  duration: 3725,
  created_at: "2026-02-25T18:16:28.5+02:00",
  error: 'OOM, "killed"\nagain',
  cost: 0.0042,
  flag: true,
};

Deno.test("floatRepr matches Python's repr(float)", () => {
  const cases: [number, string][] = [
    [3725, "3725.0"],
    [2.5, "2.5"],
    [0.0042, "0.0042"],
    [1e-5, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [1e16, "1e+16"],
    [123456789012345680, "1.2345678901234568e+17"],
    [9999999999999998, "9999999999999998.0"],
    [-0.5, "-0.5"],
    [0.1 + 0.2, "0.30000000000000004"],
  ];
  for (const [x, want] of cases) assert.equal(floatRepr(x), want, String(x));
});

Deno.test("dumps: Python separators and \\u escapes; parseJson keeps big ints and float-ness", () => {
  assert.equal(
    dumps({ a: "caf\u00e9 \u2615 \u{1F600}", b: [1, 2.5, null, true], c: {}, d: [] }),
    '{"a": "caf\\u00e9 \\u2615 \\ud83d\\ude00", "b": [1, 2.5, null, true], "c": {}, "d": []}',
  );
  assert.equal(dumps('q"\\\n\t\x01\x7f'), '"q\\"\\\\\\n\\t\\u0001\\u007f"');
  const v = parseJson('{"big": 12345678901234567890, "f": 5.0, "e": 1e3, "i": 7}') as Record<
    string,
    unknown
  >;
  assert.equal(v.big, 12345678901234567890n);
  assert.ok(v.f instanceof PyFloat);
  assert.equal(v.i, 7);
  assert.equal(dumps(v), '{"big": 12345678901234567890, "f": 5.0, "e": 1000.0, "i": 7}');
  assert.equal(
    dumps({ a: [1, { b: 2 }] }, 2),
    '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}',
  );
});

Deno.test("typing: timestamps to UTC/local, durations, floats, null error and tag", () => {
  const t = Timestamp.parse("2026-02-25T18:16:28.5+02:00")!;
  assert.equal(t.iso(), "2026-02-25T16:16:28.500000+00:00");
  assert.equal(
    Timestamp.parse("2025-06-01T10:00:00.123456Z")!.iso(),
    "2025-06-01T10:00:00.123456+00:00",
  );
  assert.equal(Timestamp.parse("2025-06-01 10:00:00")!.iso(), "2025-06-01T10:00:00+00:00");
  assert.equal(Timestamp.parse("yesterday"), undefined);
  assert.equal(Timestamp.parse("2025-02-30T00:00:00Z"), undefined);
  const d = (s: number) => new Duration(s).human();
  assert.deepEqual([d(0.4), d(2.5), d(59.99), d(75.5), d(3725)], [
    "0s",
    "2s",
    "59s",
    "1m15s",
    "1h2m",
  ]);
  assert.equal(human(0.0042), "0.00");
  assert.equal(human(-0.5), "-0.50");
  assert.equal(human(new PyFloat(5)), "5.00");
  assert.equal(human(12345678901234567890n), "12345678901234567890");
  assert.equal(human(false), "false");
  assert.equal(human(null), "");
});

Deno.test("json: scalars only, error pinned last, first-seen order, typed values", () => {
  const text = render("json", [A, B]);
  const [a, b] = text.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(a), ["uuid", "kind", "status", "duration", "created_at", "error"]);
  assert.equal(a.error, "");
  assert.equal(a.created_at, "2025-06-01T00:00:00+00:00");
  assert.deepEqual(Object.keys(b), [
    "uuid",
    "kind",
    "status",
    "duration",
    "created_at",
    "cost",
    "flag",
    "error",
  ]);
  assert.equal(b.created_at, "2026-02-25T16:16:28.500000+00:00");
  assert.match(text, /"duration": 3725\.0,/);
  assert.match(text, /"duration": 75\.5,/);
});

Deno.test("json: head columns first, in order, when present", () => {
  const text = render("json", [{ a: 1, status: "S", uuid: "u", error: "e", timed_out: true }], {
    head: ["uuid", "status", "exit_code", "timed_out", "duration"],
  });
  assert.equal(text, '{"uuid": "u", "status": "S", "timed_out": true, "a": 1, "error": "e"}\n');
});

Deno.test("json-pretty: one valid array across flushes; nothing at all without rows", () => {
  const text = render("json-pretty", [A, B, A], { flushEach: true });
  const parsed = JSON.parse(text);
  assert.equal(parsed.length, 3);
  assert.ok(text.startsWith('[\n{\n  "uuid": '));
  assert.ok(text.endsWith("\n}\n]\n"));
  assert.equal(render("json-pretty", []), "");
});

Deno.test(
  { name: "csv/tsv: CRLF, minimal quoting, rows aligned to the header", ignore: notUtc },
  () => {
    const csv = render("csv", [A, B]);
    assert.ok(csv.endsWith("\r\n"));
    const recs = delimitedRecords(csv);
    assert.deepEqual(Object.keys(recs[0]), [
      "uuid",
      "kind",
      "status",
      "duration",
      "created_at",
      "error",
    ]);
    assert.equal(recs[1].error, 'OOM, "killed"\nagain');
    assert.equal(recs[1].duration, "1h2m");
    assert.equal(recs[1].created_at, "2026-02-25 16:16:28"); // TZ=UTC in tests
    assert.match(csv, /,"OOM, ""killed""\nagain"\r\n$/);
    const tsv = render("tsv", [{ a: "x\ty", b: "plain, comma", error: null }, { b: 1, c: 2 }]);
    assert.deepEqual(parseDelimited(tsv, "\t"), [
      ["a", "b", "error"],
      ["x\ty", "plain, comma", ""],
      [
        "",
        "1",
        "",
      ],
    ]);
    assert.match(tsv, /^a\tb\terror\r\n"x\ty"\tplain, comma\t\r\n/);
    assert.equal(render("csv", [{ only: "" }], { tail: [] }), 'only\r\n""\r\n');
  },
);

Deno.test("toml: array of tables that parses back; typed values", () => {
  const text = render("toml", [A, B, { "odd key": "a\\b", n: null, big: 12345678901234567890n }], {
    flushEach: true,
  });
  const tables = parseTomlResults(text);
  assert.equal(tables.length, 3);
  assert.deepEqual(tables[0].created_at, { datetime: "2025-06-01T00:00:00+00:00" });
  assert.equal(tables[0].duration, 75.5);
  assert.equal(tables[1].error, 'OOM, "killed"\nagain');
  assert.equal(tables[1].flag, true);
  assert.equal(tables[2]["odd key"], "a\\b");
  assert.equal(tables[2].n, "");
  assert.match(text, /^duration = 3725\.0$/m);
  assert.match(text, /^big = 12345678901234567890$/m);
  assert.ok(text.endsWith("\n") && !text.endsWith("\n\n"));
  assert.match(text, /error = ""\n\n\[\[results\]\]\nuuid/);
});

Deno.test({
  name: "plain: key/value blocks, aligned labels, continuation lines, --- between rows",
  ignore: notUtc,
}, () => {
  const text = render("plain", [{ uuid: "u1", error: "a\nb" }, {
    uuid: "u2",
    created_at: "2025-06-01T00:00:00Z",
  }]);
  assert.equal(
    text,
    "uuid:  u1\nerror: a\n       b\n---\nuuid:       u2\ncreated_at: 2025-06-01 00:00:00\n",
  );
});

Deno.test({
  name: "table: header from the first flush, widths frozen, trailing padding, truncation",
  ignore: notUtc,
}, () => {
  const text = render("table", [A, B]);
  const lines = text.split("\n");
  assert.equal(
    lines[0],
    "UUID                                  KIND          STATUS     DURATION  CREATED_AT           ERROR        ",
  );
  assert.equal(
    lines[1],
    "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f  instance      EXECUTING  1m15s     2025-06-01 00:00:00               ",
  );
  assert.equal(
    lines[2],
    '019e3fb6-e447-760d-b7ab-62ef51f91b1f  image_import  FAILED     1h2m      2026-02-25 16:16:28  OOM, "killed"',
  );
  assert.equal(lines[3].trim(), "again");
  // Later flushes reuse the columns: a new long value is cut with "..." (not a terminal).
  const two = render("table", [{ uuid: "u", error: "" }, { uuid: "a-much-longer-uuid", x: 1 }], {
    flushEach: true,
  });
  assert.equal(two, "UUID  ERROR\nu          \na...       \n");
  assert.equal(render("table", []), "");
});

Deno.test("table helpers: fit with either ellipsis, shrink to the terminal", () => {
  assert.equal(fit("abcdef", 5, "..."), "ab...");
  assert.equal(fit("abcdef", 5, "…"), "abcd…");
  assert.equal(fit("abcdef", 2, "..."), "ab");
  assert.equal(fit("ab", 4, "..."), "ab  ");
  assert.deepEqual(shrink([10, 10], 30), undefined);
  assert.deepEqual(shrink([36, 8, 40], 40), [14, 8, 14]);
});

Deno.test("table colours only when asked; a status cell gets its own colour", () => {
  const out: string[] = [];
  const f = createFormatter("table", {
    stdout: { write: (t) => out.push(t) },
    isTerminal: true,
    colour: true,
  });
  f.emit({ uuid: "u", status: "SUCCESS" });
  f.close();
  assert.equal(
    out.join(""),
    "\x1b[1mUUID\x1b[0m  \x1b[1mSTATUS \x1b[0m\n\x1b[36mu   \x1b[0m  \x1b[32mSUCCESS\x1b[0m\n",
  );
  assert.ok(!render("table", [{ status: "SUCCESS" }]).includes("\x1b"));
});

Deno.test("configure: new head/tail columns, and the first-seen order starts over", () => {
  const out: string[] = [];
  const f = createFormatter("json", { stdout: { write: (t) => out.push(t) }, tail: ["error"] });
  f.emit({ uuid: "u1", kind: "instance", status: "SUCCESS", error: null });
  // Without a new configuration a record's keys follow the order seen so far.
  f.emit({ status: "FAILED", uuid: "u2", kind: "instance", error: "x" });
  // `show` configures per record: its own key order, and the new head/tail.
  f.configure({ head: ["status"], tail: ["uuid"] });
  f.emit({ kind: "image_import", error: "boom", status: "FAILED", uuid: "u3" });
  f.configure({ tail: ["error"] });
  f.emit({ status: "SUCCESS", kind: "instance", uuid: "u4", error: null });
  f.close();
  const keys = out.join("").trimEnd().split("\n").map((l) => Object.keys(JSON.parse(l)));
  assert.deepEqual(keys, [
    ["uuid", "kind", "status", "error"],
    ["uuid", "kind", "status", "error"],
    ["status", "kind", "error", "uuid"],
    ["status", "kind", "uuid", "error"],
  ]);
});
