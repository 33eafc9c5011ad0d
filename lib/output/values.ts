// The light typing of row values and how each type renders in human formats.
import { floatRepr, PyFloat } from "./pyjson.ts";

const pad2 = (n: number) => String(n).padStart(2, "0");
const pad4 = (n: number) => String(n).padStart(4, "0");

/** A `created_at`/`updated_at` instant, kept to the microsecond as the original does. */
export class Timestamp {
  /** `ms` is whole milliseconds since the epoch; `micro` the full microsecond fraction (0–999999). */
  constructor(readonly ms: number, readonly micro: number) {}

  /** Parses an ISO-8601 date-time (`Z`, `±HH:MM` or no offset = UTC); undefined if it is not one. */
  static parse(text: string): Timestamp | undefined {
    return parseCommon(text) ?? parseAny(text);
  }

  /** ISO-8601 in UTC with `+00:00`, fraction only when non-zero (Python's `isoformat()`). */
  iso(): string {
    const frac = this.micro ? `.${String(this.micro).padStart(6, "0")}` : "";
    const ms = this.ms;
    if (!(ms >= YEAR_0 && ms < YEAR_10000)) return `${clock(ms, true)}${frac}+00:00`;
    return `${minuteOf(ms).iso ??= clock(ms, true).slice(0, -2)}${secondOf(ms)}${frac}+00:00`;
  }

  /** Local time (`TZ`), `YYYY-MM-DD HH:MM:SS`, fraction dropped. */
  human(): string {
    // The minute's local text plus the UTC seconds, where those are the local ones.
    const ms = this.ms;
    const local = minuteOf(ms).local ??= localMinute(Math.floor(ms / 60_000) * 60_000);
    return local ? local + secondOf(ms) : clock(ms, false);
  }

  /** The value as the original's JSON shows it: the ISO text, quoted. */
  pyJson(): string {
    return `"${this.iso()}"`;
  }
}

/** A `duration` in seconds. */
export class Duration {
  /** `seconds`: the length, possibly fractional or non-finite. */
  constructor(readonly seconds: number) {}

  /** `2s`, `1m15s`, `1h2m` (whole seconds, truncated); `inf`/`nan` for a non-finite value. */
  human(): string {
    return durationText(this.seconds);
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

/**
 * A duration in seconds as the human formats show it: `2s`, `1m15s`, `1h2m` (whole seconds,
 * truncated); `inf`/`nan` for a non-finite value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(durationText(75.5), "1m15s");
 * assert.equal(durationText(3725), "1h2m");
 * ```
 */
export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds)) return nonFinite(seconds);
  const t = Math.trunc(seconds);
  if (t < 60) return t >= 0 ? SECONDS[t] : `${t}s`;
  if (t < 3600) return `${NUMBERS[Math.trunc(t / 60)]}m${NUMBERS[t % 60]}s`;
  return `${Math.trunc(t / 3600)}h${NUMBERS[Math.trunc((t % 3600) / 60)]}m`;
}

/**
 * The human text of a `created_at`/`updated_at` string, `Timestamp.parse(text)?.human()`:
 * undefined when it is not a timestamp. Always printable ASCII.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = "2025-06-01T12:00:05.250Z";
 * assert.equal(timestampText(t), Timestamp.parse(t)!.human());
 * assert.equal(timestampText("soon"), undefined);
 * ```
 */
export function timestampText(text: string): string | undefined {
  // The API's spelling in the last minute met, read off the text: saves ~5 of ~150 ms (ps -a, 20k).
  const { iso, local } = last;
  if (local && iso !== undefined && text.startsWith(iso)) {
    USUAL_SECONDS.lastIndex = 17;
    if (USUAL_SECONDS.test(text)) return local + text.slice(17, 19);
  }
  return Timestamp.parse(text)?.human();
}

/** What {@link parseCommon} accepts after a minute's `YYYY-MM-DDTHH:MM:`. */
const USUAL_SECONDS = /[0-5]\d(?:[.,]\d+)?(?:[Zz]|\+00:00)?$/y;

/**
 * `human(typed(key, value))` without building the typed value: the text a field shows in the
 * human formats.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(humanField("duration", 75.5), "1m15s");
 * assert.equal(humanField("error", null), "");
 * assert.equal(humanField("created_at", "not a time"), "not a time");
 * ```
 */
export function humanField(key: string, value: Value): string {
  if (typeof value === "string") {
    if (key === "created_at" || key === "updated_at") return timestampText(value) ?? value;
    return value;
  }
  if (key === "duration") {
    if (typeof value === "number") return durationText(value);
    if (value instanceof PyFloat) return durationText(value.value);
  }
  return human(value);
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

/** Two-digit texts `00`…`99`. */
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
/** `0`…`59` and `0s`…`59s`, for durations. */
const NUMBERS = Array.from({ length: 60 }, (_, i) => String(i));
const SECONDS = NUMBERS.map((n) => `${n}s`);

/** `YYYY-MM-DD<T or space>HH:MM:SS` of an instant in UTC or in local time (`TZ`). */
function clock(ms: number, utc: boolean): string {
  const d = new Date(ms);
  const [y, mo, day, h, mi, s] = utc
    ? [
      d.getUTCFullYear(),
      d.getUTCMonth(),
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ]
    : [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${pad4(y)}-${pad2(mo + 1)}-${pad2(day)}${utc ? "T" : " "}${pad2(h)}:${pad2(mi)}:${
    pad2(s)
  }`;
}

/** The `SS` of an instant (the same in UTC and in local time where {@link localMinute} holds). */
const secondOf = (ms: number) => TWO[Math.floor((ms - Math.floor(ms / 60_000) * 60_000) / 1000)];

/**
 * The local `YYYY-MM-DD HH:MM:` every instant of the UTC minute from `start` shows, or "" when
 * the local seconds there are not the UTC ones (an offset that is not whole minutes, or changing).
 */
function localMinute(start: number): string {
  const first = clock(start, false);
  const prefix = first.slice(0, -2);
  return first.endsWith(":00") && clock(start + 59_999, false) === `${prefix}59` ? prefix : "";
}

/**
 * Years 0000–9999: four digits, no sign. Only there is a minute's ISO text remembered (parsing
 * trusts it as the start of a time).
 */
const YEAR_0 = Date.parse("0000-01-01T00:00:00Z");
const YEAR_10000 = Date.parse("+010000-01-01T00:00:00Z");

/** A UTC minute and its texts, each worked out when first needed. */
interface Minute {
  minute: number;
  /** `YYYY-MM-DDTHH:MM:`. */
  iso?: string;
  /** As {@link localMinute}. */
  local?: string;
}

/**
 * The minutes met lately (a listing's rows share theirs; created_at and updated_at may each run
 * through other ones), and the last one used, which parsing checks a text against first. Saves
 * ~55 of the table's ~80 ms of formatting for 20,000 rows (~40 ms in json and plain).
 */
const minutes = new Map<number, Minute>();
let last: Minute = { minute: NaN };

/** The {@link Minute} of `ms`. */
function minuteOf(ms: number): Minute {
  const minute = Math.floor(ms / 60_000);
  if (last.minute === minute) return last;
  let found = minutes.get(minute);
  if (!found) {
    if (minutes.size >= 1024) minutes.clear();
    minutes.set(minute, found = { minute });
  }
  return last = found;
}

/** Days in a month (1–12) of a year. */
function monthDays(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** The value of `n` digits of `s` from `at`, or -1 when one is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The API's own spelling, read without a regex: `YYYY-MM-DDTHH:MM:SS`, an optional fraction,
 * then `Z`, `+00:00` or nothing. Undefined for anything else (the general parser decides).
 */
function parseCommon(s: string): Timestamp | undefined {
  if (s.length < 19 || s[16] !== ":") return undefined;
  let base: number;
  if (last.iso !== undefined && s.startsWith(last.iso)) {
    base = last.minute * 60_000;
  } else {
    if (s[4] !== "-" || s[7] !== "-" || s[13] !== ":") return undefined;
    if (s[10] !== "T" && s[10] !== " ") return undefined;
    const y = digits(s, 0, 4);
    const mo = digits(s, 5, 2);
    const d = digits(s, 8, 2);
    const h = digits(s, 11, 2);
    const mi = digits(s, 14, 2);
    if (y < 1000 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59) {
      return undefined;
    }
    if (d > monthDays(y, mo)) return undefined;
    base = Date.UTC(y, mo - 1, d, h, mi);
    if (s[10] === "T") minuteOf(base).iso ??= s.slice(0, 17);
  }
  const sec = digits(s, 17, 2);
  if (sec < 0 || sec > 59) return undefined;
  const micro = tailMicro(s);
  if (micro < 0) return undefined;
  return new Timestamp(base + sec * 1000 + Math.floor(micro / 1000), micro);
}

/**
 * What follows `YYYY-MM-DDTHH:MM:SS` (from index 19): an optional fraction (`.` or `,`, digits),
 * then `Z`, `z`, `+00:00` or nothing. Returns the fraction in microseconds, or -1 for anything
 * else.
 */
function tailMicro(s: string): number {
  const n = s.length;
  let i = 19;
  let micro = 0;
  if (i < n && (s[i] === "." || s[i] === ",")) {
    let k = ++i;
    while (k < n && s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) k++;
    if (k === i) return -1;
    for (let j = 0; j < 6; j++) micro = micro * 10 + (i + j < k ? s.charCodeAt(i + j) - 48 : 0);
    i = k;
  }
  if (i === n) return micro;
  const c = s[i];
  if (i + 1 === n && (c === "Z" || c === "z")) return micro;
  return i + 6 === n && s.endsWith("+00:00") ? micro : -1;
}

/** Every form {@link Timestamp.parse} accepts. */
function parseAny(text: string): Timestamp | undefined {
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
