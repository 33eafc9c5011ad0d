// The one output formatter: builds rows from API records and hands them to the sink of
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
import type { Row, Sink, SinkOptions } from "./types.ts";

export type { Row, Sink, SinkOptions } from "./types.ts";

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
  const fields = sink.fields?.bind(sink);
  let head = new Set(opts.head ?? []);
  let tail = new Set(opts.tail ?? []);
  let headList = [...head];
  let tailList = [...tail];
  // Keys in the order first seen, for the lifetime of one configuration.
  let seen = new Map<string, number>();
  let closed = false;
  /** The column order of the last key list whose keys were all placed (see `emit`). */
  let plan: { keys: string[]; order: string[]; own: boolean[] } | undefined;
  const planFor = (keys: string[]): string[] | undefined => {
    if (!plan || plan.keys.length !== keys.length) return undefined;
    for (let i = 0; i < keys.length; i++) if (plan.keys[i] !== keys[i]) return undefined;
    return plan.order;
  };

  return {
    configure(layout) {
      head = new Set(layout.head ?? []);
      tail = new Set(layout.tail ?? []);
      headList = [...head];
      tailList = [...tail];
      seen = new Map();
      plan = undefined;
    },
    emit(record) {
      // A listing's records share one key order: the column plan of the last record is reused
      // while the keys are the same (and all of them already placed), else worked out again.
      const keys = Object.keys(record);
      let order = planFor(keys);
      if (!order) {
        const middle: string[] = [];
        let placed = true;
        for (const key of keys) {
          const value = record[key];
          if (head.has(key) || tail.has(key)) continue;
          if (value === undefined || !isScalar(value)) {
            if (!seen.has(key)) placed = false;
            continue;
          }
          if (!seen.has(key)) seen.set(key, seen.size);
          middle.push(key);
        }
        middle.sort((a, b) => seen.get(a)! - seen.get(b)!);
        order = [...headList, ...middle, ...tailList];
        if (placed) {
          // Every middle key is placed: the same keys give the same order from now on (a key
          // whose value is not a scalar here is skipped per record below).
          const all = keys.filter((k) => !head.has(k) && !tail.has(k));
          all.sort((a, b) => seen.get(a)! - seen.get(b)!);
          order = [...headList, ...all, ...tailList];
          // Keys of the record itself need no `hasOwn` check (head/tail keys may be absent).
          const own = new Set(keys);
          plan = { keys, order, own: order.map((k) => own.has(k)) };
        }
      }
      const own = plan?.order === order ? plan.own : undefined;
      // The record's scalars in column order, keys and untyped values side by side; rows share
      // `order` unless a key is left out.
      let shown = order;
      const values: Value[] = [];
      for (let i = 0; i < order.length; i++) {
        const key = order[i];
        const value = record[key];
        if (value !== undefined && isScalar(value) && (own?.[i] || Object.hasOwn(record, key))) {
          values.push(value as Value);
          if (shown !== order) shown.push(key);
        } else if (shown === order) {
          shown = order.slice(0, i);
        }
      }
      if (fields) return fields(shown, values);
      const row: Row = shown.map((key, i) => [key, typed(key, values[i])]);
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
