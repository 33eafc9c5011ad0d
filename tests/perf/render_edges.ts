// Renders listings that walk the formatting fast paths (issue 12) at their edges, in every output
// format, and prints them: the fixture of output_identity.test.ts's "edges" cases, generated once
// by the formatting code before those fast paths and compared byte for byte since. Run with a TZ:
//   deno run tests/perf/render_edges.ts > tests/perf/fixtures/edges_<tz>.txt
// What it covers: runs of timestamps within one minute in every spelling (the remembered minute
// must not leak into a different zone, an invalid second or another minute), zones whose offset
// is not whole minutes (1883 New York, 1960 Monrovia), years at the edges of the fast range, rows
// whose keys differ from the first row's, repeated and very long cells, durations of every type,
// and a formatter re-configured mid-listing.
import { parseJson } from "../../lib/output/pyjson.ts";
import { renderAll, rng } from "./render.ts";

const iso = (ms: number) => new Date(ms).toISOString(); // 2025-11-02T05:00:07.000Z
/** Spellings of one instant: the API's usual ones, and some that share its minute's prefix. */
const SPELLINGS = [
  (ms: number) => iso(ms),
  (ms: number) => iso(ms).replace(/\.\d{3}Z$/, "Z"),
  (ms: number) => iso(ms).replace("Z", "456Z"),
  (ms: number) => iso(ms).replace(/Z$/, "+00:00"),
  (ms: number) => iso(ms).replace(/Z$/, ""),
  (ms: number) => iso(ms).replace(/Z$/, "z"),
  (ms: number) => iso(ms).replace("T", " "),
  (ms: number) => iso(ms).replace(/Z$/, "+05:30"), // same prefix, another zone
  (ms: number) => iso(ms).replace(/:\d\d\.\d{3}Z$/, ":60Z"), // same prefix, no such second
  (ms: number) => iso(ms).replace(/\.\d{3}Z$/, ",5Z"),
  (ms: number) => iso(ms).replace(/\.\d{3}Z$/, ".Z"), // a dot without digits
  (ms: number) => iso(ms).replace(/Z$/, "+00:00x"),
  (ms: number) => iso(ms).slice(0, 16) + ":0", // one digit of seconds
];
// Runs of instants a few seconds apart: across the US fall-back hour of 2025, the 1883 New York
// and 1960 Monrovia offsets that are not whole minutes, and the edges of the years 1000–9999.
const RUNS = [
  Date.UTC(2025, 10, 2, 5, 58, 0),
  Date.UTC(1883, 10, 18, 16, 58, 0),
  Date.UTC(1960, 5, 1, 12, 0, 0),
  Date.UTC(1000, 0, 1, 0, 0, 0),
  Date.UTC(999, 11, 31, 23, 59, 0),
  Date.UTC(9999, 11, 30, 23, 58, 0),
  Date.UTC(9999, 11, 31, 23, 58, 0),
  Date.UTC(2026, 0, 1, 0, 0, 0),
];
const LONG = "x".repeat(300);
const ERRORS = [null, "", "boom", "boom", LONG, `${LONG}\nsecond line`, "tab\there", "café"];
const DURATIONS = ["1.5", "0", "59.99", "60", "3599.9", "3600", "-1", "5.0", "1e3", "null", "1e21"];

function records(): Record<string, unknown>[] {
  const r = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: Record<string, unknown>[] = [];
  let i = 0;
  for (const start of RUNS) {
    for (let k = 0; k < 40; k++, i++) {
      const ms = start + k * 7_000 + Math.floor(r() * 1000);
      // Mostly the API's usual spelling, so the remembered minute is hit; now and then another.
      const created = k % 5 === 4 ? pick(SPELLINGS)(ms) : SPELLINGS[0](ms);
      const updated = k % 7 === 6 ? pick(SPELLINGS)(ms + 95_000) : SPELLINGS[1](ms + 95_000);
      const duration = pick(DURATIONS);
      const error = pick(ERRORS);
      // Parsed from text, as a page is: whole floats stay floats, big integers stay exact.
      const text = `{"uuid": "019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}", ` +
        `"kind": "${i % 9 ? "instance" : "image_import"}", "status": "${
          i % 11 ? "SUCCESS" : "FAILED"
        }", "error": ${JSON.stringify(error)}, "duration": ${duration}, ` +
        `"created_at": "${created}", "updated_at": "${updated}"}`;
      const rec = parseJson(text) as Record<string, unknown>;
      // Rows whose keys differ from the first row's: reordered, missing, extra, odd names.
      if (i % 17 === 5) delete rec.kind;
      if (i % 19 === 7) rec.extra = i;
      if (i % 23 === 11) {
        const { uuid, ...rest } = rec;
        for (const k of Object.keys(rec)) delete rec[k];
        Object.assign(rec, rest, { uuid });
      }
      if (i % 29 === 13) rec.duration = { nested: true };
      if (i % 31 === 3) Object.assign(rec, JSON.parse('{"__proto__": "p", "constructor": 1}'));
      if (i % 37 === 1) rec["10"] = "ten";
      out.push(rec);
    }
  }
  return out;
}

const all = records();
const text = renderAll(120, (f) => {
  f.flush(); // nothing yet: no output
  all.forEach((rec, i) => {
    // Re-configured: the plan is made again; "error" both first and last (a key twice).
    if (i === 250) f.configure({ head: ["status", "error"], tail: ["error"] });
    f.emit(rec);
    if (i % 37 === 36) f.flush();
  });
});
Deno.stdout.writeSync(new TextEncoder().encode(text));
