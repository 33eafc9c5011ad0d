// `-f toml`: an array of tables `[[results]]`, written at each flush.
import type { Row, Sink, SinkOptions } from "./types.ts";
import { floatRepr, PyFloat } from "./pyjson.ts";
import { Duration, nonFinite, Timestamp, type Value } from "./values.ts";

/**
 * A TOML basic string. Besides what TOML requires (`\\`, `"`, C0 controls, DEL), C1 controls and
 * bidi overrides are written as `\uXXXX` too: the same value, nothing a terminal would act on.
 */
export function tomlString(s: string): string {
  return `"${
    // deno-lint-ignore no-control-regex
    s.replace(/[\\"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, (c) => {
      switch (c) {
        case "\\":
          return "\\\\";
        case '"':
          return '\\"';
        case "\n":
          return "\\n";
        case "\r":
          return "\\r";
        case "\t":
          return "\\t";
        default:
          return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
      }
    })}"`;
}

/** A TOML key: bare when it can be, quoted otherwise. */
export function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

/** A TOML float: Python's `repr` digits, and TOML's `inf`, `-inf`, `nan` for non-finite values. */
export function tomlFloat(x: number): string {
  return Number.isFinite(x) ? floatRepr(x) : nonFinite(x);
}

/** One value as TOML. */
export function tomlValue(v: Value): string {
  if (v === null) return '""';
  if (v instanceof Timestamp) return v.iso();
  if (v instanceof Duration) return tomlFloat(v.seconds);
  if (v instanceof PyFloat) return tomlFloat(v.value);
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return String(v);
    case "number":
      return Number.isInteger(v) ? String(v) : tomlFloat(v);
    case "string":
      return tomlString(v);
    default:
      return tomlString(String(v));
  }
}

function table(row: Row): string {
  return `[[results]]\n${row.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}\n`).join("")}`;
}

/** `-f toml`: `[[results]]` tables. */
export function tomlSink(o: SinkOptions): Sink {
  let buffered: Row[] = [];
  let written = false;
  return {
    row: (row) => void buffered.push(row),
    flush() {
      if (!buffered.length) return;
      o.write((written ? "\n" : "") + buffered.map(table).join("\n"));
      written = true;
      buffered = [];
    },
    close() {},
  };
}
