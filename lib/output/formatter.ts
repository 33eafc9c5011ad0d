// The one output formatter (spec §6): builds rows from API records and hands them to the sink of
// the chosen format. Every command that prints rows goes through `createFormatter`.
import { csvSink } from "./csv.ts";
import { jsonSink } from "./json.ts";
import { jsonPrettySink } from "./json_pretty.ts";
import { plainSink } from "./plain.ts";
import { tableSink } from "./table.ts";
import { tomlSink } from "./toml.ts";
import { tsvSink } from "./tsv.ts";
import { type FormatName } from "./names.ts";
import { isScalar, typed, type Value } from "./values.ts";

/** A row: typed scalar cells in column order. */
export type Row = [key: string, value: Value][];

/** What a format does with rows. */
export interface Sink {
  row(row: Row): void;
  flush(): void;
  close(): void;
}

/** Where and how a format writes. */
export interface SinkOptions {
  /** Writes output text (stdout). */
  write(text: string): void;
  /** stdout is a terminal: `…` ellipsis, and the table may shrink to `columns`. */
  isTerminal: boolean;
  /** ANSI colours in the table (decided by the caller: terminal, NO_COLOR, FORCE_COLOR). */
  colour: boolean;
  /** Terminal width (only used when `isTerminal`). */
  columns?: number;
  /** Receives the table's "Output truncated to fit terminal" warning. */
  warn?: (text: string) => void;
}

/** Options of {@link createFormatter}. */
export interface FormatterOptions extends Partial<SinkOptions> {
  /** Where rows go. */
  stdout: { write(text: string): void; isTerminal?: boolean };
  /** Columns first, in this order, when present (`op wait`). */
  head?: readonly string[];
  /** Columns last (`error`). */
  tail?: readonly string[];
}

/** Streams records out in one of the `-f` formats. */
export interface Formatter {
  /** Adds a record (an API object): scalars kept, nested values dropped, known fields typed. */
  emit(record: Record<string, unknown>): void;
  /** Writes buffered rows (table, json-pretty, toml buffer until here). */
  flush(): void;
  /** Flushes and finishes the document (json-pretty's closing `]`). Idempotent. */
  close(): void;
  /** Sets head/tail columns and forgets the column order seen so far (`show`, per UUID). */
  configure(layout: { head?: readonly string[]; tail?: readonly string[] }): void;
}

const SINKS: Record<FormatName, (o: SinkOptions) => Sink> = {
  default: tableSink,
  table: tableSink,
  plain: plainSink,
  json: jsonSink,
  "json-pretty": jsonPrettySink,
  csv: csvSink,
  tsv: tsvSink,
  toml: tomlSink,
};

/**
 * Creates the formatter for `format`.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * const f = createFormatter("json", { stdout: { write: (t) => out.push(t) }, tail: ["error"] });
 * f.emit({ error: null, uuid: "u", duration: 3725 });
 * f.close(); // out: ['{"uuid": "u", "duration": 3725.0, "error": ""}\n']
 * ```
 */
export function createFormatter(format: string, opts: FormatterOptions): Formatter {
  const make = SINKS[format as FormatName];
  if (!make) throw new RangeError(`Unknown output format '${format}'`);
  const sink = make({
    write: (t) => opts.stdout.write(t),
    isTerminal: opts.isTerminal ?? opts.stdout.isTerminal ?? false,
    colour: opts.colour ?? false,
    columns: opts.columns,
    warn: opts.warn,
  });
  let head = new Set(opts.head ?? []);
  let tail = new Set(opts.tail ?? []);
  let headList = [...head];
  let tailList = [...tail];
  // Keys in the order first seen, for the lifetime of one configuration.
  let seen = new Map<string, number>();
  let closed = false;

  return {
    configure(layout) {
      head = new Set(layout.head ?? []);
      tail = new Set(layout.tail ?? []);
      headList = [...head];
      tailList = [...tail];
      seen = new Map();
    },
    emit(record) {
      const middle: string[] = [];
      for (const [key, value] of Object.entries(record)) {
        if (value === undefined || !isScalar(value) || head.has(key) || tail.has(key)) continue;
        if (!seen.has(key)) seen.set(key, seen.size);
        middle.push(key);
      }
      middle.sort((a, b) => seen.get(a)! - seen.get(b)!);
      const row: Row = [];
      const add = (key: string) => {
        const value = record[key];
        if (Object.hasOwn(record, key) && value !== undefined && isScalar(value)) {
          row.push([key, typed(key, value)]);
        }
      };
      headList.forEach(add);
      middle.forEach(add);
      tailList.forEach(add);
      sink.row(row);
    },
    flush: () => sink.flush(),
    close() {
      if (closed) return;
      closed = true;
      sink.flush();
      sink.close();
    },
  };
}
