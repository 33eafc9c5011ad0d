// `-f default` and `-f table`: aligned columns. The first flush that has rows fixes the columns
// (the first row's keys) and their widths; later flushes reuse them and print no header, so the
// table streams page by page (spec §6.3, decisions.md §5).
import type { Row, Sink, SinkOptions } from "./formatter.ts";
import { escapeControl } from "./escape.ts";
import { human } from "./values.ts";

const RESET = "\x1b[0m";
const LINES = { keepLines: true };
const BOLD = "\x1b[1m";
const COLUMN_COLOURS = ["\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m", ""];
const VALUE_COLOURS: Record<string, string> = {
  SUCCESS: "\x1b[32m",
  FAILED: "\x1b[31m",
  CANCELLED: "\x1b[33m",
  PENDING: "\x1b[90m",
  ASSIGNED: "\x1b[36m",
  EXECUTING: "\x1b[34m",
  true: "\x1b[32m",
  false: "\x1b[31m",
  "": "\x1b[90m",
};

/** Length in code points, as Python's `len`. */
const len = (s: string) => {
  if (/^[ -~]*$/.test(s)) return s.length; // printable ASCII: one unit per character
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** `text` cut to `width` code points with `ellipsis`, then padded to `width`. */
export function fit(text: string, width: number, ellipsis: string): string {
  const n = len(text);
  if (n <= width) return n === width ? text : text + " ".repeat(width - n);
  const chars = [...text];
  if (width > ellipsis.length) return chars.slice(0, width - ellipsis.length).join("") + ellipsis;
  return chars.slice(0, width).join("");
}

/** Shrinks natural widths to fit `columns`, narrowest first; undefined if nothing shrank. */
export function shrink(widths: number[], columns: number): number[] | undefined {
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  if (total <= columns) return undefined;
  let remaining = columns - 2 * (widths.length - 1);
  const out = [...widths];
  const order = widths.map((w, i) => [w, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  order.forEach(([w, i], k) => {
    const left = order.length - k;
    out[i] = Math.min(w, Math.max(Math.floor(remaining / left), 3));
    remaining -= out[i];
  });
  return out.some((w, i) => w < widths[i]) ? out : undefined;
}

/** `-f table`/`default`: aligned columns, control characters shown escaped. */
export function tableSink(o: SinkOptions): Sink {
  const ellipsis = o.isTerminal ? "…" : "...";
  let buffered: Row[] = [];
  let columns: string[] | undefined;
  let widths: number[] = [];

  function paint(text: string, colour: string): string {
    return o.colour && colour ? colour + text + RESET : text;
  }

  function cellColour(text: string, col: number): string {
    return VALUE_COLOURS[text.trim()] ?? COLUMN_COLOURS[col % COLUMN_COLOURS.length];
  }

  function line(cells: string[][], row: number): string {
    return cells.map((lines, c) => {
      const text = lines[row] ?? "";
      return paint(fit(text, widths[c], ellipsis), cellColour(lines.length ? lines[0] : "", c));
    }).join("  ") + "\n";
  }

  return {
    row: (row) => void buffered.push(row),
    flush() {
      if (!buffered.length) return;
      let out = "";
      const first = !columns;
      const cols = columns ??= buffered[0].map(([k]) => k);
      // For humans: control characters are shown escaped (tab and line feed kept for layout).
      const texts = buffered.map((row) => {
        const cells = new Map(row.map(([k, v]) => [k, escapeControl(human(v), LINES)]));
        return cols.map((k) => (cells.get(k) ?? "").split("\n"));
      });
      if (first) {
        widths = cols.map((k, c) =>
          Math.max(len(escapeControl(k)), ...texts.flatMap((row) => row[c].map(len)))
        );
        if (o.isTerminal && o.columns) {
          const shrunk = shrink(widths, o.columns);
          if (shrunk) {
            widths = shrunk;
            o.warn?.("Output truncated to fit terminal; use --format json to see full values");
          }
        }
        out += cols.map((k, c) =>
          paint(fit(escapeControl(k.toUpperCase()), widths[c], ellipsis), BOLD)
        )
          .join("  ") + "\n";
      }
      for (const cells of texts) {
        const height = Math.max(1, ...cells.map((l) => l.length));
        for (let r = 0; r < height; r++) out += line(cells, r);
      }
      o.write(out);
      buffered = [];
    },
    close() {},
  };
}
