// Benchmark: `contree ps -a -M 20000` listing 20,000 operations from the emulator with 5 ms of
// added latency per page request, through the real main.ts, as ratios against a baseline run in
// the same session: a raw Deno script that fetches the same pages (8 in flight) and prints the
// same table naively (all rows kept, widths from all of them, `Date` getters, `padEnd`).
// Reports wall time and the child's peak RSS (VmHWM from /proc, polled while it runs).
// Run: deno task bench:list [-- --ops 20000 --latency 5 --runs 5]
import { parseArgs } from "node:util";
import { startEmulator } from "../tests/emulator/server.ts";
import { homeFor } from "../tests/helpers.ts";
import { CONTREE, interleaved, median, type Sample, sample, say } from "./measure.ts";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "20000" },
    latency: { type: "string", default: "5" },
    runs: { type: "string", default: "5" },
  },
});
const n = Number(values.ops);
const latency = Number(values.latency);
const runs = Number(values.runs);

// The baseline: what `ps -a` has to do, written the obvious way.
const RAW = `
const base = Deno.env.get("URL");
const headers = { Authorization: "Bearer " + Deno.env.get("TOKEN") };
const max = Number(Deno.env.get("MAX"));
const rows = [];
let offset = 0;
for (let done = false; !done;) {
  const batch = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    const res = await fetch(base + "/v1/operations?offset=" + (offset + i * 1000) + "&limit=1000", { headers });
    return await res.json();
  }));
  offset += 8000;
  for (const page of batch) {
    rows.push(...page);
    if (page.length < 1000) done = true;
  }
}
const p2 = (n) => String(n).padStart(2, "0");
const local = (s) => {
  const d = new Date(s);
  return d.getFullYear() + "-" + p2(d.getMonth() + 1) + "-" + p2(d.getDate()) + " " + p2(d.getHours()) + ":" + p2(d.getMinutes()) + ":" + p2(d.getSeconds());
};
const dur = (s) => {
  if (s === null) return "";
  const t = Math.trunc(s);
  return t < 60 ? t + "s" : t < 3600 ? Math.trunc(t / 60) + "m" + (t % 60) + "s" : Math.trunc(t / 3600) + "h" + Math.trunc((t % 3600) / 60) + "m";
};
const cols = ["uuid", "kind", "status", "duration", "created_at", "updated_at", "error"];
const table = rows.slice(0, max).map((op) => cols.map((c) =>
  c === "duration" ? dur(op.duration) : c.endsWith("_at") ? local(op[c]) : String(op[c] ?? "")
));
const widths = cols.map((c, i) => Math.max(c.length, ...table.map((r) => r[i].length)));
let out = cols.map((c, i) => c.toUpperCase().padEnd(widths[i])).join("  ") + "\\n";
for (const r of table) out += r.map((v, i) => v.padEnd(widths[i])).join("  ") + "\\n";
Deno.stdout.writeSync(new TextEncoder().encode(out));
`;

const raw = Deno.makeTempFileSync({ prefix: "contree-raw-list-", suffix: ".ts" });
Deno.writeTextFileSync(raw, RAW);
const emu = await startEmulator({ latencyMs: latency, record: false });
emu.seed(n, { status: "SUCCESS" });
const home = homeFor(emu);
const env = { CONTREE_HOME: home, URL: emu.url, TOKEN: emu.token, MAX: String(n) };
const ps = (...args: string[]) => () => sample([...CONTREE, ...args], env);

try {
  const pages = Math.ceil(n / 1000) + 1;
  say(
    `ps: ${n.toLocaleString("en")} operations, ${latency} ms latency per page request, ` +
      `median of ${runs} interleaved runs after a warm-up (Deno ${Deno.version.deno})`,
  );
  const results = await interleaved([
    { name: "raw", run: () => sample(["run", "--quiet", "--allow-net", "--allow-env", raw], env) },
    { name: "table", run: ps("ps", "-a", "-M", String(n)) },
    { name: "quiet", run: ps("ps", "-a", "-M", String(n), "-q") },
    { name: "json", run: ps("-f", "json", "ps", "-a", "-M", String(n)) },
    { name: "empty", run: ps("ps", "--status", "PENDING") },
  ], runs);
  const med = (name: string) => median(results.get(name)!.map((s: Sample) => s.ms));
  const peak = (name: string) => Math.max(...results.get(name)!.map((s) => s.peakMiB ?? 0));
  const lines = (name: string) => results.get(name)![0].lines;
  const base = med("raw");
  const row = (label: string, name: string) =>
    say(
      `  ${label.padEnd(42)} ${med(name).toFixed(0).padStart(6)} ms  ${
        (med(name) / base).toFixed(2)
      }×  peak RSS ${peak(name).toFixed(0)} MiB  (${lines(name)} lines)`,
    );
  row("raw fetch + naive table (baseline)", "raw");
  row("contree ps -a -M N (table)", "table");
  row("contree ps -a -M N -q", "quiet");
  row("contree -f json ps -a -M N", "json");
  row("contree ps on an empty filter (start-up)", "empty");
  say(
    `  speed-up of the table against the raw baseline: ${(base / med("table")).toFixed(2)}×; ` +
      `table minus -q (formatting): ${(med("table") - med("quiet")).toFixed(0)} ms; ` +
      `sequential floor ${pages} pages × ${latency} ms = ${pages * latency} ms`,
  );
} finally {
  await emu.close();
  Deno.removeSync(raw);
  try {
    Deno.removeSync(home, { recursive: true });
  } catch { /* removed with the emulator */ }
}
