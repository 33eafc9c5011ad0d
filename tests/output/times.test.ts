// Unit tests of the --since/--until parser (spec §4.2, decisions.md §21).
import assert from "node:assert/strict";
import { isoZ, parseTimeArg } from "../../lib/cli/times.ts";

const NOW = new Date("2026-11-24T17:30:55.657Z");
const at = (raw: string) => {
  const d = parseTimeArg(raw, NOW);
  return d && isoZ(d);
};

Deno.test("absolute dates: any 4 leading digits are a year; parts default; offset ignored", () => {
  const cases: [string, string][] = [
    ["2025", "2025-01-01T00:00:00Z"],
    ["2025-06", "2025-06-01T00:00:00Z"],
    ["2025/1/2", "2025-01-02T00:00:00Z"],
    ["20250102", "2025-01-02T00:00:00Z"],
    ["2025.01.02", "2025-01-02T00:00:00Z"],
    ["2025-01-02 03:04", "2025-01-02T03:04:00Z"],
    ["2025-01-02T03:04:05Z", "2025-01-02T03:04:05Z"],
    ["2025-01-02T03:04:05+02:00", "2025-01-02T03:04:05Z"],
    ["2025-01-02T03:04:05.999", "2025-01-02T03:04:05Z"],
    ["3600", "3600-01-01T00:00:00Z"],
    ["12345", "1234-05-01T00:00:00Z"],
  ];
  for (const [raw, want] of cases) assert.equal(at(raw), want, raw);
});

Deno.test("invalid calendar values are usage errors with Python's wording", () => {
  const cases: [string, string][] = [
    ["86400", "month must be in 1..12"],
    ["2025-13-01", "month must be in 1..12"],
    ["2025-02-30", "day is out of range for month"],
    ["2025-01-01T24:00", "hour must be in 0..23"],
    ["2025-01-01T23:60", "minute must be in 0..59"],
    ["0000", "year 0 is out of range"],
    ["25:00", "hour must be in 0..23"],
  ];
  for (const [raw, msg] of cases) {
    assert.throws(
      () => parseTimeArg(raw, NOW),
      // A RangeError: the command line reports it as a usage error (tests/cli cover the wording).
      (e) => e instanceof RangeError && e.message === msg,
      raw,
    );
  }
  assert.equal(at("2024-02-29"), "2024-02-29T00:00:00Z");
});

Deno.test("time of day is today in UTC", () => {
  assert.equal(at("14:30"), "2026-11-24T14:30:00Z");
  assert.equal(at("9:05:07"), "2026-11-24T09:05:07Z");
});

Deno.test("intervals: summed units back from now, signs and unknown letters lenient", () => {
  const back = (s: number) => isoZ(new Date(NOW.getTime() - s * 1000));
  const cases: [string, number][] = [
    ["1h", 3600],
    ["30m", 1800],
    ["1h30m", 5400],
    ["90", 90],
    ["2d", 172800],
    ["1M", 30 * 86400],
    ["1y", 365 * 86400],
    ["1d2h", 93600],
    ["+1h", 3600],
    ["-1h", 3600],
    ["1w", 1],
    ["5x", 5],
    ["1.5h", 1 + 5 * 3600],
    ["now", 0],
  ];
  for (const [raw, s] of cases) assert.equal(at(raw), back(s), raw);
  assert.equal(at("1h"), "2026-11-24T16:30:55.657000Z");
  assert.equal(at(""), undefined);
  assert.equal(at("  "), undefined);
});
