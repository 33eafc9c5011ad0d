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
    if (ms >= MIN_FAST_MS && ms < MAX_FAST_MS) {
      // `YYYY-MM-DDTHH:MM:` of the last UTC minute written is reused.
      const minute = Math.floor(ms / 60_000);
      const sec = TWO[Math.floor((ms - minute * 60_000) / 1000)];
      if (minute !== isoMinute) {
        isoMinute = minute;
        isoMinuteText = civil(minute * 60_000, "T").slice(0, -2);
      }
      return `${isoMinuteText}${sec}${frac}+00:00`;
    }
    const d = new Date(this.ms);
    return `${pad4(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${
      pad2(d.getUTCHours())
    }:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${frac}+00:00`;
  }

  /** Local time (`TZ`), `YYYY-MM-DD HH:MM:SS`, fraction dropped. */
  human(): string {
    const ms = this.ms;
    // The local `YYYY-MM-DD HH:MM:` of the last two UTC minutes shown (a listing's created_at
    // and updated_at each run through the minutes in order): only the seconds are new. A new
    // minute replaces the older of the two.
    const minute = Math.floor(ms / 60_000);
    if (minute === minuteA) return minuteTextA + TWO[Math.floor((ms - minute * 60_000) / 1000)];
    if (minute === minuteB) return minuteTextB + TWO[Math.floor((ms - minute * 60_000) / 1000)];
    const offset = localOffset(ms);
    if (offset !== undefined) {
      const text = civil(ms + offset, " ");
      if (offset % 60_000 === 0) {
        // A whole-minute offset, the same all hour: the minute's local text is shared.
        minuteB = minuteA;
        minuteTextB = minuteTextA;
        minuteA = minute;
        minuteTextA = text.slice(0, -2);
      }
      return text;
    }
    const d = new Date(ms);
    return `${pad4(d.getFullYear())}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${
      pad2(d.getHours())
    }:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
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
 * The human text of a `created_at`/`updated_at` string: `Timestamp.parse(text)?.human()`, with
 * the API's usual spelling read from the text (the local text of its minute remembered), no
 * instant built. Undefined when it is not a timestamp. Always printable ASCII.
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
  // An operation's updated_at is often its created_at: the last answer is kept.
  if (text === lastStampIn) return lastStampOut;
  const shown = stampText(text);
  lastStampIn = text;
  lastStampOut = shown;
  return shown;
}

let lastStampIn = "";
let lastStampOut: string | undefined;

/** {@link timestampText} without its last-answer memory. */
function stampText(text: string): string | undefined {
  if (text.length >= 19) {
    // Native string and regex checks: the per-character loops cost more in code not yet hot.
    const local = textPrefixA !== "" && text.startsWith(textPrefixA)
      ? localPrefixA
      : textPrefixB !== "" && text.startsWith(textPrefixB)
      ? localPrefixB
      : undefined;
    if (local !== undefined) {
      USUAL_TAIL.lastIndex = 16;
      if (USUAL_TAIL.test(text)) {
        return local + TWO[(text.charCodeAt(17) - 48) * 10 + text.charCodeAt(18) - 48];
      }
    }
  }
  const common = parseCommon(text);
  const stamp = common ?? parseAny(text);
  if (!stamp) return undefined;
  const shown = stamp.human();
  if (common) {
    const offset = localOffset(stamp.ms);
    if (offset !== undefined && offset % 60_000 === 0) {
      // A whole-minute offset, the same all hour: every instant of this UTC minute shows this
      // minute's local text and its own seconds. A new minute replaces the older of the two.
      textPrefixB = textPrefixA;
      localPrefixB = localPrefixA;
      textPrefixA = text.slice(0, 16);
      localPrefixA = shown.slice(0, -2);
    }
  }
  return shown;
}

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

// Fast paths of timestamp parsing and formatting (a listing has two per row). Each gives exactly
// what the general code gives; anything unusual goes the general way.

/** Two-digit texts `00`…`99`. */
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
/** `0`…`59` and `0s`…`59s`, for durations. */
const NUMBERS = Array.from({ length: 60 }, (_, i) => String(i));
const SECONDS = NUMBERS.map((n) => `${n}s`);
/** Years 1000–9999 (UTC and local): no padding or `Date.UTC` two-digit-year quirk to mind. */
const MIN_FAST_MS = Date.UTC(1000, 0, 2);
const MAX_FAST_MS = Date.UTC(9999, 11, 30);
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** `YYYY-MM-DD<sep>HH:MM:SS` of a time as if it were UTC (days-from-civil, inverted). */
function civil(ms: number, sep: string): string {
  const days = Math.floor(ms / DAY_MS);
  let rem = ms - days * DAY_MS;
  const h = Math.floor(rem / HOUR_MS);
  rem -= h * HOUR_MS;
  const mi = Math.floor(rem / 60_000);
  const sec = Math.floor((rem - mi * 60_000) / 1000);
  // Howard Hinnant's civil_from_days.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) -
      Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${TWO[m]}-${TWO[d]}${sep}${TWO[h]}:${TWO[mi]}:${TWO[sec]}`;
}

/** The local offset (ms) at an instant, as the `Date` local getters apply it. */
function offsetAt(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(
    d.getFullYear(),
    d.getMonth(),
    d.getDate(),
    d.getHours(),
    d.getMinutes(),
    d.getSeconds(),
    d.getMilliseconds(),
  ) - ms;
}

/** Local offsets of whole UTC hours whose offset is the same at their first and last ms. */
const hourOffsets = new Map<number, number | undefined>();

/** The local offset at `ms` when its hour has one offset throughout; else undefined. */
function localOffset(ms: number): number | undefined {
  if (!(ms >= MIN_FAST_MS && ms < MAX_FAST_MS)) return undefined;
  const hour = Math.floor(ms / HOUR_MS);
  if (hourOffsets.has(hour)) return hourOffsets.get(hour);
  if (hourOffsets.size > 4096) hourOffsets.clear();
  const start = hour * HOUR_MS;
  const a = offsetAt(start);
  const offset = a === offsetAt(start + HOUR_MS - 1) && a === offsetAt(start + HOUR_MS / 2)
    ? a
    : undefined;
  hourOffsets.set(hour, offset);
  return offset;
}

/**
 * What follows a remembered `YYYY-MM-DDTHH:MM` (from index 16) that {@link parseCommon} accepts:
 * `:SS` (00–59), an optional fraction, then `Z`, `z`, `+00:00` or nothing (as `tailMicro`).
 */
const USUAL_TAIL = /:[0-5]\d(?:[.,]\d+)?(?:[Zz]|\+00:00)?$/y;

// timestampText's two most recent UTC minutes: `YYYY-MM-DDTHH:MM` as the text spells it and the
// local `YYYY-MM-DD HH:MM:` it shows.
let textPrefixA = "";
let localPrefixA = "";
let textPrefixB = "";
let localPrefixB = "";

// Timestamp.iso's last UTC minute and its `YYYY-MM-DDTHH:MM:`.
let isoMinute = NaN;
let isoMinuteText = "";

// Timestamp.human's two most recent minutes (UTC minute number and its local text to `MM:`).
let minuteA = NaN;
let minuteTextA = "";
let minuteB = NaN;
let minuteTextB = "";

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

// parseCommon's two most recent `YYYY-MM-DDTHH:MM` prefixes (checked) and their UTC ms.
let prefixA = "";
let prefixMsA = 0;
let prefixB = "";
let prefixMsB = 0;

/**
 * The API's own spelling, read without a regex: `YYYY-MM-DDTHH:MM:SS`, an optional fraction,
 * then `Z`, `+00:00` or nothing. Undefined for anything else (the general parser decides).
 */
function parseCommon(s: string): Timestamp | undefined {
  const n = s.length;
  if (n < 19 || s[16] !== ":") return undefined;
  let base: number;
  if (prefixA !== "" && s.startsWith(prefixA)) {
    base = prefixMsA;
  } else if (prefixB !== "" && s.startsWith(prefixB)) {
    base = prefixMsB;
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
    prefixB = prefixA;
    prefixMsB = prefixMsA;
    prefixA = s.slice(0, 16);
    prefixMsA = base;
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
