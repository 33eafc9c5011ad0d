// `-f plain`: a block of `key: value` lines per row, `---` between rows.
import type { Sink, SinkOptions } from "./formatter.ts";
import { human } from "./values.ts";

export function plainSink(o: SinkOptions): Sink {
  let first = true;
  let pending = ""; // written at each flush: one write per page, not per row
  return {
    row(row) {
      const width = Math.max(0, ...row.map(([k]) => k.length)) + 2;
      let out = first ? "" : "---\n";
      first = false;
      for (const [key, value] of row) {
        const [line, ...more] = human(value).split("\n");
        out += `${`${key}:`.padEnd(width)}${line}\n`;
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
