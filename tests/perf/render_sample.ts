// Renders a fixed, varied listing in every output format and prints it: the fixture of
// output_identity.test.ts, generated once by the formatting code before its fast paths (issue 12)
// and compared byte for byte since. Run with a TZ set: human formats print local time.
//   deno run tests/perf/render_sample.ts > tests/perf/fixtures/render_<tz>.txt
import { parseJson } from "../../lib/output/pyjson.ts";
import { renderAll, rng } from "./render.ts";

const STATUSES = ["PENDING", "ASSIGNED", "EXECUTING", "SUCCESS", "FAILED", "CANCELLED", "weird"];
const ERRORS = [
  null,
  "",
  "boom",
  "line one\nline two\nline three",
  "tab\there",
  "esc \x1b[31mred\x1b[0m and bell \x07",
  "bidi \u202e reversed \u2066 isolate",
  "café ünïcødé 日本語 emoji 😀 wide",
  "C1 \x85 next line \x9b csi",
  "a very long error message ".repeat(6).trim(),
  "trailing spaces   ",
  "\r carriage",
];
const STAMPS = [
  (ms: number) => new Date(ms).toISOString(), // 2025-06-01T12:00:00.123Z
  (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z").replace(/\.\d{3}Z$/, "Z"),
  (ms: number) => new Date(ms).toISOString().replace("Z", "123Z"), // microseconds
  (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00"),
  (ms: number) => new Date(ms).toISOString().replace("Z", "+05:30"),
  (ms: number) => new Date(ms).toISOString().replace("Z", "-0800"),
  (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", ""),
  (ms: number) => new Date(ms).toISOString().slice(0, 16), // no seconds
  () => "2025-02-30T00:00:00Z", // not a date: kept as text
  () => "not a time",
  (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}/, ",5"),
  (ms: number) => new Date(ms).toISOString().replace("Z", "z"),
];
// Around the US and EU daylight-saving changes of 2025, and an ordinary stretch.
const BASES = [
  Date.UTC(2025, 2, 9, 6, 30),
  Date.UTC(2025, 10, 2, 5, 30),
  Date.UTC(2025, 2, 30, 0, 30),
  Date.UTC(2026, 0, 1, 0, 0),
  Date.UTC(1999, 11, 31, 23, 59),
];

function records(n: number): Record<string, unknown>[] {
  const r = rng(12);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const base = BASES[i % BASES.length] + Math.floor(r() * 4 * 3600) * 1000;
    const stamp = pick(STAMPS);
    const durations = [null, 0, 1, 59, 60, 61.9, 3599, 3600, 3725.5, 90061, 1.5, -3, 1e21];
    const rec: Record<string, unknown> = {
      uuid: `019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}`,
      kind: pick(["instance", "image_import", "x"]),
      status: pick(STATUSES),
      error: pick(ERRORS),
      duration: pick(durations),
      created_at: stamp(base),
      updated_at: stamp(base + Math.floor(r() * 100_000)),
      metadata: { nested: true },
    };
    if (i % 7 === 3) rec.tag = null;
    if (i % 11 === 5) rec.exit_code = pick([0, 1, 137, 2.5, true, false]);
    if (i % 13 === 2) delete rec.duration;
    out.push(rec);
  }
  // Exact numbers as the API may send them: big integers, whole floats, non-finite values.
  out.push(parseJson(
    '{"uuid": "u-big", "status": "SUCCESS", "duration": 5.0, "count": 12345678901234567890, ' +
      '"ratio": 1e300, "created_at": "2025-06-01T12:00:00Z", "error": null}',
  ) as Record<string, unknown>);
  out.push(parseJson(
    '{"uuid": "u-inf", "status": "FAILED", "duration": Infinity, "score": NaN, "error": "x"}',
  ) as Record<string, unknown>);
  return out;
}

const all = records(200);
const text = renderAll(100, (f) => {
  // Pages of 97 rows, as the listing flushes page by page.
  all.forEach((rec, i) => {
    f.emit(rec);
    if (i % 97 === 96) f.flush();
  });
});
Deno.stdout.writeSync(new TextEncoder().encode(text));
