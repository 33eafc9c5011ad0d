// `-f json-pretty`: one JSON array; objects indented by two spaces, written at each flush; the
// closing bracket on close. No rows at all → no output.
import type { Row, Sink, SinkOptions } from "./types.ts";
import { rowJson } from "./json.ts";

/** `-f json-pretty`: one indented JSON array of all rows. */
export function jsonPrettySink(o: SinkOptions): Sink {
  let buffered: Row[] = [];
  let opened = false;
  return {
    row: (row) => void buffered.push(row),
    flush() {
      if (!buffered.length) return;
      o.write((opened ? ",\n" : "[\n") + buffered.map((r) => rowJson(r, 2)).join(",\n"));
      opened = true;
      buffered = [];
    },
    close() {
      if (opened) o.write("\n]\n");
    },
  };
}
