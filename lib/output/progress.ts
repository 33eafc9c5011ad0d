// The live progress line of a long bulk cancel on a terminal, and its one-line summary.
import type { Writer } from "../cli/io.ts";

/** Bulk cancels of more than this many operations get a progress line on a terminal. */
export const PROGRESS_MIN_OPERATIONS = 20;

/** Counts by outcome, as the progress line and summary show them. */
export interface ProgressCounts {
  /** Outcomes so far. */
  done: number;
  /** Cancelled. */
  cancelled: number;
  /** Already finished (409). */
  alreadyFinished: number;
  /** Not found (404). */
  notFound: number;
  /** Any other failure (including in flight when interrupted). */
  failed: number;
}

const count = (n: number) => n.toLocaleString("en-US");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The summary line: `Cancelled 1,480 of 1,500: 12 already finished, 8 failed (3.1 s)`.
 *
 * @example
 * ```ts
 * const counts = { done: 3, cancelled: 2, alreadyFinished: 1, notFound: 0, failed: 0 };
 * summaryLine(counts, 3, 1234); // "Cancelled 2 of 3: 1 already finished (1.2 s)"
 * ```
 */
export function summaryLine(c: ProgressCounts, total: number, elapsedMs: number): string {
  const parts = [
    c.alreadyFinished ? `${count(c.alreadyFinished)} already finished` : "",
    c.notFound ? `${count(c.notFound)} not found` : "",
    c.failed ? `${count(c.failed)} failed` : "",
    c.done < total ? `${count(total - c.done)} not attempted` : "",
  ].filter(Boolean);
  return `Cancelled ${count(c.cancelled)} of ${count(total)}${
    parts.length ? `: ${parts.join(", ")}` : ""
  } (${seconds(elapsedMs)})`;
}

/**
 * One status line rewritten in place on a terminal (`\r`, erase line): done/total, rate,
 * failures, ETA. Redrawn at most every 100 ms; {@link ProgressLine.clear} before writing a log
 * line, {@link ProgressLine.draw} after.
 *
 * @example
 * ```ts
 * import { bufferWriter } from "../cli/io.ts";
 * const err = bufferWriter(true);
 * const p = new ProgressLine(err, 100);
 * p.update({ done: 50, cancelled: 50, alreadyFinished: 0, notFound: 0, failed: 0 });
 * p.clear(); // err now holds "\r\x1b[2KCancelling 50/100 …" and an erase
 * ```
 */
export class ProgressLine {
  #counts: ProgressCounts = { done: 0, cancelled: 0, alreadyFinished: 0, notFound: 0, failed: 0 };
  #start: number;
  #lastDraw = -Infinity;
  #shown = false;

  /** `total` operations; `now` is a clock in milliseconds (tests pass their own). */
  constructor(
    private readonly out: Writer,
    private readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#start = now();
  }

  /** Milliseconds since the start. */
  elapsed(): number {
    return this.now() - this.#start;
  }

  /** Records the counts so far; redraws when 100 ms have passed, after a clear, or at the end. */
  update(counts: ProgressCounts): void {
    this.#counts = { ...counts };
    const t = this.now();
    if (!this.#shown || t - this.#lastDraw >= 100 || counts.done === this.total) this.draw();
  }

  /** Writes the line now. */
  draw(): void {
    const c = this.#counts;
    const elapsed = (this.now() - this.#start) / 1000;
    const rate = elapsed > 0 ? c.done / elapsed : 0;
    const failures = c.failed + c.notFound + c.alreadyFinished;
    const eta = rate > 0 ? Math.ceil((this.total - c.done) / rate) : undefined;
    const pct = this.total ? Math.floor((c.done / this.total) * 100) : 100;
    const line = `Cancelling ${count(c.done)}/${count(this.total)} (${pct}%) | ${
      rate.toFixed(1)
    }/s | ${count(failures)} not cancelled | ETA ${eta === undefined ? "?" : `${eta} s`}`;
    this.out.write(`\r\x1b[2K${line}`);
    this.#shown = true;
    this.#lastDraw = this.now();
  }

  /** Erases the line (before a log line, and at the end). */
  clear(): void {
    if (!this.#shown) return;
    this.out.write("\r\x1b[2K");
    this.#shown = false;
  }
}
