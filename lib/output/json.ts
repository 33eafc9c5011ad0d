// `-f json`: one compact object per row (JSONL) with Python's separators, written at each flush.
import type { Row, Sink, SinkOptions } from "./types.ts";
import { dumps } from "./pyjson.ts";

/** The row as one JSON object, Python-style. */
export function rowJson(row: Row, indent?: number): string {
  return dumps(Object.fromEntries(row), indent);
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
