// `-f default` and `-f table`: aligned columns. The first flush that has rows fixes the columns
// (the first row's keys) and their widths; later flushes reuse them and print no header, so the
// table streams page by page.
import type { Row, Sink, SinkOptions } from "./types.ts";
import { escapeControl } from "./escape.ts";
import { human, type Value } from "./values.ts";

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

/** Printable ASCII only: one line, one column per character, nothing to escape. */
const PLAIN_ASCII = /^[ -~]*$/;

/**
 * A cell as shown: a string when it is one line of printable ASCII (its length is its width),
 * else its lines, control characters shown escaped (tab and line feed kept for layout).
 */
function cellOf(value: Value | undefined): string | string[] {
  if (value === undefined) return "";
  const text = human(value);
  if (PLAIN_ASCII.test(text)) return text;
  return escapeControl(text, LINES).split("\n");
}

const SPACES = " ".repeat(256);

/** `text` of `n` code points padded (or cut) to `width`: {@link fit} with the length known. */
function fitKnown(text: string, n: number, width: number, ellipsis: string): string {
  if (n === width) return text;
  if (n < width) {
    const pad = width - n;
    return text + (pad <= SPACES.length ? SPACES.slice(0, pad) : " ".repeat(pad));
  }
  return fit(text, width, ellipsis);
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

  /** One printed line of a row (`r` counts the lines of multi-line cells). */
  function line(cells: (string | string[])[], r: number): string {
    let out = "";
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c];
      const fitted = typeof cell === "string"
        ? (r === 0
          ? fitKnown(cell, cell.length, widths[c], ellipsis)
          : fitKnown("", 0, widths[c], ellipsis))
        : fit(cell[r] ?? "", widths[c], ellipsis);
      if (c) out += "  ";
      out += o.colour
        ? paint(fitted, cellColour(typeof cell === "string" ? cell : cell[0], c))
        : fitted;
    }
    return out + "\n";
  }

  return {
    row: (row) => void buffered.push(row),
    flush() {
      if (!buffered.length) return;
      let out = "";
      const first = !columns;
      const cols = columns ??= buffered[0].map(([k]) => k);
      const texts = buffered.map((row) => {
        // Usually a row has exactly the columns, in order: no lookup needed.
        let aligned = row.length === cols.length;
        for (let c = 0; aligned && c < cols.length; c++) aligned = row[c][0] === cols[c];
        if (aligned) return row.map(([, v]) => cellOf(v));
        const values = new Map(row);
        return cols.map((k) => cellOf(values.get(k)));
      });
      if (first) {
        widths = cols.map((k) => len(escapeControl(k)));
        for (const cells of texts) {
          for (let c = 0; c < cols.length; c++) {
            const cell = cells[c];
            if (typeof cell === "string") {
              if (cell.length > widths[c]) widths[c] = cell.length;
            } else {
              for (const l of cell) widths[c] = Math.max(widths[c], len(l));
            }
          }
        }
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
        let height = 1;
        for (const cell of cells) {
          if (typeof cell !== "string") height = Math.max(height, cell.length);
        }
        for (let r = 0; r < height; r++) out += line(cells, r);
      }
      o.write(out);
      buffered = [];
    },
    close() {},
  };
}
