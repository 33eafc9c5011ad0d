// Unit tests for terminal-safety escaping, non-finite numbers and token masking.
import assert from "node:assert/strict";
import { describeBody } from "../../lib/api/client.ts";
import type { Writer } from "../../lib/cli/io.ts";
import { log, logAccess, maskSecrets, redactSecrets, setupLogging } from "../../lib/log/log.ts";
import { escapeControl, hasControl } from "../../lib/output/escape.ts";
import { createFormatter } from "../../lib/output/formatter.ts";
import { dumps, parseJson } from "../../lib/output/pyjson.ts";
import { tomlString, tomlValue } from "../../lib/output/toml.ts";
import { Duration, human } from "../../lib/output/values.ts";

Deno.test("escapeControl: C0, DEL, C1 and bidi shown visibly; other text untouched", () => {
  for (const text of ["", "plain", "caf\u00e9 \u2615 \u{1F600}", "back\\slash", "\u00a0nbsp"]) {
    assert.equal(escapeControl(text), text);
    assert.equal(hasControl(text), false);
  }
  assert.equal(
    escapeControl("\x00\x07\x08\t\n\x0b\r\x1b\x7f"),
    "\\x00\\x07\\x08\\t\\n\\x0b\\r\\x1b\\x7f",
  );
  assert.equal(escapeControl("\x80\x9b\x9f\xa0"), "\\x80\\x9b\\x9f\xa0");
  assert.equal(
    escapeControl("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2029"),
    "\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\u2029",
  );
  assert.equal(escapeControl("a\tb\nc\rd", { keepLines: true }), "a\tb\nc\\rd");
  assert.equal(hasControl("a\tb\n", { keepLines: true }), false);
  assert.equal(escapeControl("\t\x7f\u202e", { unicode: true }), "\\u0009\\u007f\\u202e");
});

function render(format: string, record: Record<string, unknown>, isTerminal = false): string {
  let out = "";
  const f = createFormatter(format, { stdout: { write: (t) => void (out += t) }, isTerminal });
  f.emit(record);
  f.close();
  return out;
}

Deno.test("csv/tsv: exact into a pipe, escaped on a terminal; table keeps widths aligned", () => {
  const rec = { uuid: "u", error: "a\x1b[2Jb\tc\nd", ["k\x9b"]: "v" };
  assert.equal(render("csv", rec), `uuid,error,k\x9b\r\nu,"a\x1b[2Jb\tc\nd",v\r\n`);
  assert.equal(render("csv", rec, true), `uuid,error,k\\x9b\r\nu,"a\\x1b[2Jb\tc\nd",v\r\n`);
  assert.equal(render("tsv", rec, true), `uuid\terror\tk\\x9b\r\nu\t"a\\x1b[2Jb\tc\nd"\tv\r\n`);
  const table = render("table", { a: "\x1b[31mred", b: "x" }).split("\n");
  assert.deepEqual(table, ["A            B", "\\x1b[31mred  x", ""]);
});

Deno.test("toml: C1 and bidi as \\u escapes; non-finite floats as inf/-inf/nan", () => {
  assert.equal(tomlString("a\x9b\u202eb\x1b"), '"a\\u009b\\u202eb\\u001b"');
  assert.equal(tomlValue(Infinity), "inf");
  assert.equal(tomlValue(-Infinity), "-inf");
  assert.equal(tomlValue(NaN), "nan");
  assert.equal(tomlValue(new Duration(Infinity)), "inf");
  assert.equal(tomlValue(0.5), "0.5");
  assert.equal(human(NaN), "nan");
  assert.equal(human(-Infinity), "-inf");
  assert.equal(new Duration(NaN).human(), "nan");
});

Deno.test("parseJson accepts Python's Infinity/-Infinity/NaN tokens, only as tokens", () => {
  const v = parseJson('{"a": Infinity, "b": -Infinity, "c": NaN, "s": "NaN Infinity", "d": 5.0}');
  assert.deepEqual(Object.keys(v as object), ["a", "b", "c", "s", "d"]);
  const o = v as Record<string, unknown>;
  assert.equal(o.a, Infinity);
  assert.equal(o.b, -Infinity);
  assert.ok(Number.isNaN(o.c));
  assert.equal(o.s, "NaN Infinity");
  assert.equal(
    dumps(v),
    '{"a": Infinity, "b": -Infinity, "c": NaN, "s": "NaN Infinity", "d": 5.0}',
  );
  // The number standing in for NaN is never confused with one in the text.
  const tricky = parseJson("[NaN, -0.0E-3141590, -0.0E-3141591]") as unknown[];
  assert.ok(Number.isNaN(tricky[0]));
  assert.ok(Object.is((tricky[1] as { value: number }).value, -0));
  assert.ok(Object.is((tricky[2] as { value: number }).value, -0));
  assert.equal(parseJson('"\\"NaN"'), '"NaN');
  for (const bad of ["Infinity1", "NaNa", "-NaN", "--Infinity", "[NaNNaN]", "infinity", "1NaN"]) {
    assert.throws(() => parseJson(bad), SyntaxError, bad);
  }
  assert.equal(parseJson("1e999"), Infinity); // as Python's float('1e999')
});

function capture(): { writer: Writer; text: () => string } {
  let out = "";
  return {
    writer: { write: (t: string) => void (out += t), isTerminal: false } as Writer,
    text: () => out,
  };
}

Deno.test("token masking: every spelling, and a cut never leaves its start", () => {
  const token = 'Zq9/Xw+Vt=Ku8 Lp"R\\m\u00e9';
  const json = [...token].map((c) =>
    `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`
  )
    .join("");
  assert.equal(redactSecrets(`<${token}>`, [token]), "<***>");
  assert.equal(redactSecrets(`<${json}>`, [token]), "<***>");
  assert.equal(redactSecrets(`<${JSON.stringify(token).slice(1, -1)}>`, [token]), "<***>");
  assert.equal(redactSecrets(`<${encodeURIComponent(token)}>`, [token]), "<***>");
  assert.equal(
    redactSecrets(
      `<${
        encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()).replace(
          "%20",
          "+",
        )
      }>`,
      [token],
    ),
    "<***>",
  );
  assert.equal(redactSecrets("abc abc", ["abc"]), "abc abc"); // too short to mask

  const out = capture();
  const logging = setupLogging({ stderr: out.writer, env: {}, level: "debug" });
  try {
    logging.mask(token);
    assert.equal(maskSecrets(`x${token}y`), "x***y");
    // Masked before the cut, and a partial echo cut at the limit loses its start too.
    const body = `${"p".repeat(90)}${token}${"q".repeat(50)}`;
    assert.equal(
      describeBody(body, "application/json", 100),
      `${"p".repeat(90)}***${"q".repeat(7)}... <truncated, ${
        new TextEncoder().encode(body).length
      }B total>`,
    );
    const partial = `${"p".repeat(94)}${token.slice(0, 8)}`;
    assert.match(describeBody(partial, "text/plain", 100), /^p{94}\*\*\*\.\.\. <truncated/);
    // Log lines: masked, then escaped, one line each; access lines stay valid JSON.
    log.error(`echo ${token}\n[INFO] forged\x1b[2J`);
    logAccess({ path: `/x\x7f\u202e${token}` });
    const lines = out.text().split("\n");
    assert.equal(lines.length, 3, out.text());
    assert.equal(lines[0], "[ERROR] echo ***\\n[INFO] forged\\x1b[2J");
    assert.deepEqual(JSON.parse(lines[1]), { path: "/x\x7f\u202e***" });
    assert.ok(!/[\x7f\u202e]/.test(lines[1]));
  } finally {
    setupLogging({ stderr: capture().writer, env: {}, level: "critical" });
  }
});
