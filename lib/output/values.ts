// The light typing of row values (spec §6.1) and how each type renders in human formats.
import { floatRepr, PyFloat } from "./pyjson.ts";

const pad2 = (n: number) => String(n).padStart(2, "0");
const pad4 = (n: number) => String(n).padStart(4, "0");

/** A `created_at`/`updated_at` instant, kept to the microsecond as the original does. */
export class Timestamp {
  /** `ms` is whole milliseconds since the epoch; `micro` the full microsecond fraction (0–999999). */
  constructor(readonly ms: number, readonly micro: number) {}

  /** Parses an ISO-8601 date-time (`Z`, `±HH:MM` or no offset = UTC); undefined if it is not one. */
  static parse(text: string): Timestamp | undefined {
    const m =
      /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/
        .exec(text.trim());
    if (!m) return undefined;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number(v ?? 0));
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
    const micro = Number((m[7] ?? "").slice(0, 6).padEnd(6, "0"));
    let offsetMin = 0;
    if (m[8] && !/^z$/i.test(m[8])) {
      const sign = m[8][0] === "-" ? -1 : 1;
      const digits = m[8].slice(1).replace(":", "");
      offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
    }
    const date = new Date(0);
    date.setUTCFullYear(y, mo - 1, d);
    date.setUTCHours(h, mi, s, 0);
    if (date.getUTCDate() !== d) return undefined; // 2025-02-30
    return new Timestamp(date.getTime() - offsetMin * 60_000 + Math.floor(micro / 1000), micro);
  }

  /** ISO-8601 in UTC with `+00:00`, fraction only when non-zero (Python's `isoformat()`). */
  iso(): string {
    const d = new Date(this.ms);
    const frac = this.micro ? `.${String(this.micro).padStart(6, "0")}` : "";
    return `${pad4(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${
      pad2(d.getUTCHours())
    }:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${frac}+00:00`;
  }

  /** Local time (`TZ`), `YYYY-MM-DD HH:MM:SS`, fraction dropped. */
  human(): string {
    const d = new Date(this.ms);
    return `${pad4(d.getFullYear())}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${
      pad2(d.getHours())
    }:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }

  pyJson(): string {
    return `"${this.iso()}"`;
  }
}

/** A `duration` in seconds. */
export class Duration {
  constructor(readonly seconds: number) {}

  /** `2s`, `1m15s`, `1h2m` (whole seconds, truncated); `inf`/`nan` for a non-finite value. */
  human(): string {
    if (!Number.isFinite(this.seconds)) return nonFinite(this.seconds);
    const t = Math.trunc(this.seconds);
    if (t < 60) return `${t}s`;
    if (t < 3600) return `${Math.trunc(t / 60)}m${t % 60}s`;
    return `${Math.trunc(t / 3600)}h${Math.trunc((t % 3600) / 60)}m`;
  }

  /** Always a float: `3725.0`. */
  pyJson(): string {
    return floatRepr(this.seconds);
  }
}

/** A scalar cell value after typing. */
export type Value =
  | string
  | number
  | bigint
  | boolean
  | null
  | PyFloat
  | Timestamp
  | Duration;

/** Whether a value is a scalar (kept in rows) rather than an object or array (dropped). */
export function isScalar(value: unknown): boolean {
  return value === null || typeof value !== "object" || value instanceof PyFloat;
}

/** Applies the spec's light typing to one field. */
export function typed(key: string, value: unknown): Value {
  if ((key === "created_at" || key === "updated_at") && typeof value === "string") {
    return Timestamp.parse(value) ?? value;
  }
  if (key === "duration" && (typeof value === "number" || value instanceof PyFloat)) {
    return new Duration(typeof value === "number" ? value : value.value);
  }
  if ((key === "error" || key === "tag") && value === null) return "";
  if (value === undefined) return null;
  return value as Value;
}

/** Text of a value in the human formats (default, table, plain, csv, tsv). */
export function human(value: Value): string {
  if (value === null) return "";
  if (value instanceof Timestamp || value instanceof Duration) return value.human();
  if (value instanceof PyFloat) return value.value.toFixed(2);
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (Number.isInteger(value)) return String(value);
      return Number.isFinite(value) ? value.toFixed(2) : nonFinite(value);
    default:
      return String(value);
  }
}

/**
 * Python's spelling of a non-finite float in `str`/`format` and in TOML: `inf`, `-inf`, `nan`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(nonFinite(-Infinity), "-inf");
 * ```
 */
export function nonFinite(x: number): string {
  return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
}
