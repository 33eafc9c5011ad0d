// Timestamp texts against the `Date` getters, in zones whose offsets are not whole minutes or
// change, with the instants visited in an order that makes the remembered minutes come and go.
import assert from "node:assert/strict";
import { Timestamp } from "../../lib/output/values.ts";

const VALUES = new URL("../../lib/output/values.ts", import.meta.url).href;

/**
 * Run under `TZ` in a child (the zone is fixed at start-up): every instant of `starts` plus a few
 * seconds, in several spellings, and in interleaved orders, parsed and shown; prints the instants
 * whose texts differ from the `Date` getters' as JSON, and how many were checked.
 */
const SCRIPT = `
import { Timestamp, timestampText } from ${JSON.stringify(VALUES)};
const p = (n, w = 2) => String(n).padStart(w, "0");
const local = (d) => p(d.getFullYear(), 4) + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) +
  " " + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
const starts = JSON.parse(Deno.args[0]);
const instants = [];
for (const s of starts) for (let k = -70; k < 130; k += 1) instants.push(s + k * 1000 + (k & 7) * 111);
// In order, then each instant next to one ~3 minutes later (created_at, updated_at), then back.
const order = [...instants];
instants.forEach((ms, i) => order.push(ms, instants[(i + 180) % instants.length]));
order.push(...[...instants].reverse());
const bad = [];
let checked = 0;
for (const ms of order) {
  const z = new Date(ms).toISOString();
  for (const text of [z, z.replace("Z", "+00:00"), z.replace("T", " "), z.replace(/\\.\\d+Z$/, "Z")]) {
    const want = local(new Date(ms)); // the fraction changes no second
    const got = Timestamp.parse(text)?.human();
    if (got !== want) bad.push({ text, got, want });
    // The table's way, read off the text where the last minute's texts are known.
    if (timestampText(text) !== want) bad.push({ text, got: timestampText(text), want });
    checked++;
  }
  // Another zone's spelling with the same leading characters: not this minute.
  const other = Timestamp.parse(z.replace("Z", "+05:30"));
  if (other?.ms !== ms - 19_800_000) bad.push({ text: z + " +05:30", got: other?.ms });
  const shown = timestampText(z.replace("Z", "+05:30"));
  if (shown !== local(new Date(ms - 19_800_000))) bad.push({ text: z + " +05:30", got: shown });
  checked++;
}
console.log(JSON.stringify({ checked, bad: bad.slice(0, 5) }));
`;

const STARTS = [
  Date.UTC(1883, 10, 18, 16, 57), // New York: local mean time (−4:56:02) to EST
  Date.UTC(1960, 5, 1, 12, 0), // Monrovia: −0:44:30
  Date.UTC(1972, 0, 7, 0, 44), // Monrovia: −0:44:30 to 0:00 at 00:44:30 UTC
  Date.UTC(1941, 9, 1, 0, 0), // Kolkata: +6:30 to +5:30
  Date.UTC(2025, 2, 9, 7, 0), // New York: spring forward
  Date.UTC(2025, 10, 2, 6, 0), // New York: fall back
  Date.UTC(2025, 3, 5, 15, 0), // Lord Howe: a 30-minute daylight-saving change
  Date.UTC(2025, 11, 31, 23, 59), // a year's last minute
];

for (const tz of ["America/New_York", "Africa/Monrovia", "Asia/Kolkata", "Australia/Lord_Howe"]) {
  Deno.test(`timestamps: human text is the Date getters' in every minute (TZ=${tz})`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", "--no-prompt", "--ext=js", SCRIPT, JSON.stringify(STARTS)],
      env: { TZ: tz },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const { checked, bad } = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(bad, []);
    assert.ok(checked > 10_000, `${checked} checked`);
  });
}

Deno.test("timestamps: ISO text of any year, and what parses after it is unchanged", () => {
  const at = (text: string) => new Timestamp(Date.parse(text), 0);
  // Outside 0000–9999 the text is the general one; it must not be taken for a minute's prefix.
  assert.equal(at("-000100-01-01T00:00:00Z").iso(), "-100-01-01T00:00:00+00:00");
  assert.equal(Timestamp.parse("-100-01-01T00:00:05Z"), undefined);
  assert.equal(at("+010000-01-01T00:00:00Z").iso(), "10000-01-01T00:00:00+00:00");
  assert.equal(Timestamp.parse("10000-01-01T00:00:05Z"), undefined);
  // Years before 1000 the general parser reads; the remembered minute gives the same instant.
  assert.equal(at("0999-12-31T23:59:00Z").iso(), "0999-12-31T23:59:00+00:00");
  assert.equal(
    Timestamp.parse("0999-12-31T23:59:30.5Z")?.iso(),
    "0999-12-31T23:59:30.500000+00:00",
  );
  // The same minute, then a text sharing its first characters but not a time.
  const t = Timestamp.parse("2025-06-01T12:00:05Z")!;
  assert.equal(t.iso(), "2025-06-01T12:00:05+00:00");
  for (const text of ["2025-06-01T12:00:60Z", "2025-06-01T12:00:5Z", "2025-06-01T12:00:05.Z"]) {
    assert.equal(Timestamp.parse(text), undefined, text);
  }
  assert.equal(Timestamp.parse("2025-06-01T12:00:05-01:00")?.iso(), "2025-06-01T13:00:05+00:00");
  assert.equal(new Timestamp(NaN, 0).iso(), "0NaN-NaN-NaNTNaN:NaN:NaN+00:00");
});
