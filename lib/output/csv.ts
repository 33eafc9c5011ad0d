// `-f csv` (and `tsv` through `delimitedSink`): Excel dialect, CRLF, minimal quoting. The header
// is the first row's keys; every later row is aligned to it (a missing key is
// an empty cell, an extra key is dropped).
import type { Sink, SinkOptions } from "./types.ts";
import { escapeControl } from "./escape.ts";
import { human } from "./values.ts";

const LINES = { keepLines: true };

/** One field with Python `csv` QUOTE_MINIMAL rules for `delimiter`. */
export function csvField(text: string, delimiter: string): string {
  if (text.includes(delimiter) || /["\r\n]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

/** One record line (a lone empty field is written `""`, as Python does). */
export function csvLine(fields: string[], delimiter: string): string {
  if (fields.length === 1 && fields[0] === "") return '""\r\n';
  return fields.map((f) => csvField(f, delimiter)).join(delimiter) + "\r\n";
}

/**
 * The CSV/TSV sink. These are data formats: values are written exactly into a pipe or file. Only
 * when stdout is a terminal (someone is reading it) are control characters shown escaped, tab
 * and line feed kept.
 */
export function delimitedSink(o: SinkOptions, delimiter: string): Sink {
  const text = o.isTerminal ? (s: string) => escapeControl(s, LINES) : (s: string) => s;
  let header: string[] | undefined;
  let pending = ""; // written at each flush: one write per page, not per row
  return {
    row(row) {
      let out = "";
      if (!header) {
        header = row.map(([k]) => k);
        out += csvLine(header.map(text), delimiter);
      }
      const cells = new Map(row);
      out += csvLine(
        header.map((k) => cells.has(k) ? text(human(cells.get(k)!)) : ""),
        delimiter,
      );
      pending += out;
    },
    flush() {
      if (pending) o.write(pending);
      pending = "";
    },
    close() {},
  };
}

/** `-f csv`: comma-separated, Excel dialect. */
export const csvSink = (o: SinkOptions): Sink => delimitedSink(o, ",");
