// The types shared by the formatter and the sinks of each format (kept apart so the sinks do not
// import the formatter that imports them).
import type { Value } from "./values.ts";

/** A row: typed scalar cells in column order. */
export type Row = [key: string, value: Value][];

/** What a format does with rows. */
export interface Sink {
  /** Takes one row (buffered or written at once, as the format needs). */
  row(row: Row): void;
  /** Writes what is buffered (a page boundary). */
  flush(): void;
  /** Writes what is left and any closing text. */
  close(): void;
  /**
   * Takes one row as its keys and values side by side, the values untyped (the record's own
   * scalars: a timestamp still its text, a duration its number; see `humanField`). When a sink
   * has it, the formatter calls it instead of {@link Sink.row}. Many rows share one `keys`
   * array; it is never changed afterwards.
   */
  fields?(keys: readonly string[], values: Value[]): void;
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
