// `--since`/`--until` values (the original's lenient parser): an
// absolute date, a time of day, or an interval back from now, always to a UTC instant.

const UNITS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  M: 30 * 86400,
  y: 365 * 86400,
};

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** Python `datetime(...)`'s range checks and wording. */
function checkDate(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): void {
  if (y < 1 || y > 9999) throw new RangeError(`year ${y} is out of range`);
  if (mo < 1 || mo > 12) throw new RangeError("month must be in 1..12");
  const max = mo === 2 && !isLeap(y) ? 28 : DAYS[mo - 1];
  if (d < 1 || d > max) throw new RangeError("day is out of range for month");
  if (h > 23) throw new RangeError("hour must be in 0..23");
  if (mi > 59) throw new RangeError("minute must be in 0..59");
  if (s > 59) throw new RangeError("second must be in 0..59");
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * ISO-8601 UTC with `Z`; microseconds (6 digits) only when non-zero.
 *
 * @example
 * ```ts
 * isoZ(new Date("2025-01-02T00:00:00.5Z")); // "2025-01-02T00:00:00.500000Z"
 * ```
 */
export function isoZ(date: Date): string {
  const ms = date.getUTCMilliseconds();
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${
    pad(date.getUTCDate())
  }T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${
    ms ? `.${pad(ms * 1000, 6)}` : ""
  }Z`;
}

const ABSOLUTE =
  /^(\d{4})(?:[./\- ]?(\d{1,2})(?:[./\- ]?(\d{1,2})(?:[T ]?(\d{1,2})(?:[:./\- ]?(\d{1,2}))?(?:[:./\- ]?(\d{1,2}))?)?)?)?/;

/**
 * Parses a `--since`/`--until` value to a UTC instant, or undefined for an empty value.
 * Throws a `RangeError` (the command line shows it as a usage error) on an impossible date or
 * time.
 *
 * @example
 * ```ts
 * const now = new Date("2025-06-01T12:00:00Z");
 * parseTimeArg("2025/1/2");       // Date 2025-01-02T00:00:00Z
 * parseTimeArg("1h30m", now);     // now − 5400 s: 2025-06-01T10:30:00Z
 * ```
 */
export function parseTimeArg(raw: string, now: Date = new Date()): Date | undefined {
  const text = raw.trim();
  if (text === "") return undefined;
  const abs = ABSOLUTE.exec(text);
  if (abs) {
    const [y, mo, d, h, mi, s] = abs.slice(1).map((v, i) =>
      v === undefined ? (i < 3 ? 1 : 0) : Number(v)
    );
    checkDate(y, mo, d, h, mi, s);
    return utc(y, mo, d, h, mi, s);
  }
  const tod = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (tod) {
    const [h, mi, s] = tod.slice(1).map((v) => Number(v ?? 0));
    checkDate(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate(), h, mi, s);
    return utc(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate(), h, mi, s);
  }
  let seconds = 0;
  for (const m of text.matchAll(/[+-]?(\d+)([A-Za-z]?)/g)) {
    seconds += Number(m[1]) * (UNITS[m[2]] ?? 1);
  }
  const date = new Date(now.getTime() - seconds * 1000);
  if (!(date.getUTCFullYear() >= 1)) throw new RangeError("date value out of range");
  return date;
}

/** The option parser for `--since`/`--until`: the value sent on the wire, or undefined. */
export function timeArg(raw: string): string | undefined {
  const date = parseTimeArg(raw);
  return date && isoZ(date);
}

/**
 * The option parser for `kill --older-than`: an interval only (bare seconds or a sum of
 * `<n>[smhdMy]`, as `--since`/`--until` intervals), returned as the instant that long ago, sent
 * as `until`. Dates are refused: `--until` takes those.
 *
 * @example
 * ```ts
 * durationArg("2h"); // the ISO-8601 UTC instant two hours ago
 * ```
 */
export function durationArg(raw: string): string {
  if (!/^\s*(?:\d+[smhdMy]?)+\s*$/.test(raw)) {
    throw new RangeError(`invalid duration: '${raw}' (use e.g. 90, 30m, 2h, 1d12h)`);
  }
  return isoZ(parseTimeArg(raw)!);
}
