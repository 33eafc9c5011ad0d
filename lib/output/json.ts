// `-f json`: one compact object per row (JSONL) with Python's separators, written at each flush.
import type { Row, Sink, SinkOptions } from "./types.ts";
import { dumps, quote } from "./pyjson.ts";

/** A canonical array index (`0`, `42`): such keys come first, in number order, in an object. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

/**
 * Whether the row's object keeps the row's order: no key twice (the object would keep the first
 * place and the last value) and no array-index key (the object would put it first).
 */
function keepsOrder(row: Row): boolean {
  if (row.length > 32) return false;
  for (let i = 0; i < row.length; i++) {
    const k = row[i][0];
    if (ARRAY_INDEX.test(k) && Number(k) < 2 ** 32 - 1) return false;
    for (let j = 0; j < i; j++) if (row[j][0] === k) return false;
  }
  return true;
}

/** The row as one JSON object, Python-style. */
export function rowJson(row: Row, indent?: number): string {
  if (indent !== undefined || !keepsOrder(row)) return dumps(Object.fromEntries(row), indent);
  // One compact object, written straight from the row: what `dumps` makes of the same object.
  let out = "";
  for (let i = 0; i < row.length; i++) {
    const [k, v] = row[i];
    if (v === undefined) continue;
    out += `${out ? ", " : "{"}${quote(k)}: ${dumps(v)}`;
  }
  return out ? out + "}" : "{}";
}

/** `-f json`: one compact Python-style JSON object per row (JSON Lines). */
export function jsonSink(o: SinkOptions): Sink {
  // Lines are collected until the next flush (every page, round or operation), so a long
  // listing makes one write per page instead of one per row.
  let pending = "";
  return {
    row: (row) => void (pending += `${rowJson(row)}\n`),
    flush() {
      if (pending) o.write(pending);
      pending = "";
    },
    close() {},
  };
}
