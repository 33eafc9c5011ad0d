// `-f plain`: a block of `key: value` lines per row, `---` between rows.
import type { Sink, SinkOptions } from "./types.ts";
import { escapeControl } from "./escape.ts";
import { human } from "./values.ts";

const LINES = { keepLines: true };

/** `-f plain`: `key: value` blocks, control characters shown escaped. */
export function plainSink(o: SinkOptions): Sink {
  let first = true;
  let pending = ""; // written at each flush: one write per page, not per row
  return {
    row(row) {
      // For humans: control characters are shown escaped (tab and line feed kept for layout).
      const keys = row.map(([k]) => escapeControl(k));
      const width = Math.max(0, ...keys.map((k) => k.length)) + 2;
      let out = first ? "" : "---\n";
      first = false;
      for (const [i, [, value]] of row.entries()) {
        const [line, ...more] = escapeControl(human(value), LINES).split("\n");
        out += `${`${keys[i]}:`.padEnd(width)}${line}\n`;
        for (const m of more) out += `${" ".repeat(width)}${m}\n`;
      }
      pending += out;
    },
    flush() {
      if (pending) o.write(pending);
      pending = "";
    },
    close() {},
  };
}
