// What render_sample.ts and render_edges.ts share: one listing rendered in every output format
// (the table also coloured and on a terminal), each under a `===== <format> <variant>` line.
import { createFormatter, type Formatter } from "../../lib/output/formatter.ts";

const FORMATS = ["default", "table", "plain", "json", "json-pretty", "csv", "tsv", "toml"];

/**
 * Every format's output of the rows `feed` emits (and flushes) into a fresh formatter; the
 * terminal variant of the table is `columns` wide. Warnings are inlined as `<warn …>` lines.
 */
export function renderAll(columns: number, feed: (f: Formatter) => void): string {
  let text = "";
  for (const format of FORMATS) {
    for (const variant of ["pipe", "colour", "terminal"] as const) {
      if (variant !== "pipe" && format !== "table") continue;
      const parts: string[] = [];
      const f = createFormatter(format, {
        stdout: { write: (t) => parts.push(t) },
        isTerminal: variant === "terminal",
        colour: variant === "colour",
        columns: variant === "terminal" ? columns : undefined,
        warn: (w) => parts.push(`<warn ${w}>\n`),
        tail: ["error"],
      });
      feed(f);
      f.close();
      text += `===== ${format} ${variant}\n${parts.join("")}`;
    }
  }
  return text;
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
