// `-f default` and `-f table`: aligned columns. The first flush that has rows fixes the columns
// (the first row's keys) and their widths; later flushes reuse them and print no header, so the
// table streams page by page.
import type { Sink, SinkOptions } from "./types.ts";
import { escapeControl } from "./escape.ts";
import { durationText, humanField, timestampText, type Value } from "./values.ts";

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

/** A string cell as shown (see {@link cellOf}). */
function stringCell(text: string): string | string[] {
  return PLAIN_ASCII.test(text) ? text : escapeControl(text, LINES).split("\n");
}

/**
 * The cell of a field as shown: a string when it is one line of printable ASCII (its length is
 * its width), else its lines, control characters shown escaped (tab and line feed kept for
 * layout). Values come untyped (see `humanField`).
 */
function cellOf(key: string, value: Value | undefined): string | string[] {
  if (value === undefined) return "";
  // A time or a duration is always digits and ASCII punctuation (or `inf`/`nan`).
  if (key === "duration" && typeof value === "number") return durationText(value);
  return stringCell(humanField(key, value));
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

/** A row as the table keeps it: keys and untyped values side by side. */
interface Fields {
  keys: readonly string[];
  values: Value[];
}

/** `-f table`/`default`: aligned columns, control characters shown escaped. */
export function tableSink(o: SinkOptions): Sink {
  const ellipsis = o.isTerminal ? "…" : "...";
  // Rows of the first flush, kept until it fixes the columns; later rows are rendered as they
  // come, into `pending` (one write per flush).
  let buffered: Fields[] = [];
  let pending = "";
  let columns: readonly string[] | undefined;
  let widths: number[] = [];
  /** `gaps[c][k]`: `k` spaces of padding plus the two between columns (none after the last). */
  let gaps: string[][] = [];
  // The last string seen in each column and its cell: repeated values (kind, status, an empty
  // error) are checked once.
  const lastText: (string | undefined)[] = [];
  const lastCell: (string | string[])[] = [];
  /** Which columns hold `created_at`/`updated_at`. */
  let times: boolean[] = [];

  function paint(text: string, colour: string): string {
    return o.colour && colour ? colour + text + RESET : text;
  }

  function cellColour(text: string, col: number): string {
    return VALUE_COLOURS[text.trim()] ?? COLUMN_COLOURS[col % COLUMN_COLOURS.length];
  }

  /** The cell of column `c` (as {@link cellOf}, remembering the column's last string). */
  function cellAt(value: Value | undefined, c: number): string | string[] {
    if (typeof value !== "string") {
      return value === null || value === undefined ? "" : cellOf(columns![c], value);
    }
    if (value === lastText[c]) return lastCell[c];
    let cell: string | string[];
    if (times[c]) cell = timestampText(value) ?? stringCell(value); // a time is printable ASCII
    else cell = stringCell(value);
    lastText[c] = value;
    lastCell[c] = cell;
    return cell;
  }

  /** Whether a row's keys are exactly the columns, in order (usually the very same array). */
  function aligned(keys: readonly string[]): boolean {
    const cols = columns!;
    if (keys === cols) return true;
    if (keys.length !== cols.length) return false;
    for (let c = 0; c < cols.length; c++) if (keys[c] !== cols[c]) return false;
    return true;
  }

  /** The cells of a row in column order. */
  function cellsOf({ keys, values }: Fields): (string | string[])[] {
    if (aligned(keys)) return values.map((v, c) => cellAt(v, c));
    const byKey = new Map<string, Value>();
    keys.forEach((k, i) => byKey.set(k, values[i]));
    return columns!.map((k, c) => cellAt(byKey.get(k), c));
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

  /** `cell`, one line of printable ASCII, padded (or cut) to column `c` and the gap after it. */
  function padded(cell: string, c: number): string {
    const pad = widths[c] - cell.length;
    if (pad >= 0 && pad < gaps[c].length) return cell + gaps[c][pad];
    return fitKnown(cell, cell.length, widths[c], ellipsis) + gaps[c][0];
  }

  /** The printed lines of a row's cells. */
  function cellsText(cells: (string | string[])[]): string {
    let height = 1;
    for (const cell of cells) {
      if (typeof cell !== "string") height = Math.max(height, cell.length);
    }
    if (height === 1 && !o.colour && cells.every((cell) => typeof cell === "string")) {
      let out = "";
      for (let c = 0; c < cells.length; c++) out += padded(cells[c] as string, c);
      return out + "\n";
    }
    // The general way: colours, multi-line cells.
    let out = "";
    for (let r = 0; r < height; r++) out += line(cells, r);
    return out;
  }

  /** The printed lines of a row. */
  function rowText(keys: readonly string[], values: Value[]): string {
    if (!o.colour && aligned(keys)) {
      // Usually one line of printable ASCII cells without colour: each cell is padded with a
      // ready-made run of spaces. Anything else is done the general way.
      let out = "";
      for (let c = 0; c < values.length; c++) {
        const cell = cellAt(values[c], c);
        if (typeof cell !== "string") return cellsText(cellsOf({ keys, values }));
        out += padded(cell, c);
      }
      return out + "\n";
    }
    return cellsText(cellsOf({ keys, values }));
  }

  /** Fixes the columns and widths from the first flush's rows; returns the header and rows. */
  function first(rows: Fields[]): string {
    const cols = columns = rows[0].keys;
    times = cols.map((k) => k === "created_at" || k === "updated_at");
    const texts = rows.map(cellsOf);
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
    gaps = widths.map((w, c) => {
      const sep = c < widths.length - 1 ? "  " : "";
      return Array.from({ length: Math.min(w, 256) + 1 }, (_, k) => " ".repeat(k) + sep);
    });
    let out =
      cols.map((k, c) => paint(fit(escapeControl(k.toUpperCase()), widths[c], ellipsis), BOLD))
        .join("  ") + "\n";
    for (const cells of texts) out += cellsText(cells);
    return out;
  }

  /** Takes a row: kept until the first flush, rendered at once after it. */
  function fields(keys: readonly string[], values: Value[]): void {
    if (columns) pending += rowText(keys, values);
    else buffered.push({ keys, values });
  }

  return {
    fields,
    row: (row) => fields(row.map(([k]) => k), row.map(([, v]) => v)),
    flush() {
      if (!columns && buffered.length) {
        pending += first(buffered);
        buffered = [];
      }
      if (pending) o.write(pending);
      pending = "";
    },
    close() {},
  };
}
