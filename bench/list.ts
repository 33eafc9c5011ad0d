// Benchmark: `contree ps -a -M 20000` listing 20,000 operations from the emulator with 5 ms of
// added latency per page request, through the real main.ts, as ratios against a baseline run in
// the same session: a raw Deno script that fetches the same pages (8 in flight) and prints the
// same table naively (all rows kept, widths from all of them, `Date` getters, `padEnd`).
// Reports wall time and the child's peak RSS (VmHWM from /proc, polled while it runs).
// The issue's own baseline is measured in the same run: commit ec2105d (main when the issue was
// filed, measured then as 2.4× faster than the original Python CLI), unpacked with `git archive`
// into a temporary directory and run with its own deno.json/deno.lock (`--config`), so the
// project's lock file is never touched. Target: the original (≈ 2.4 × ec2105d) / ours ≥ 5.
// Run: deno task bench:list [-- --ops 20000 --latency 5 --runs 5]
import { parseArgs } from "node:util";
import { startEmulator } from "../tests/emulator/server.ts";
import { homeFor, PERMISSIONS } from "../tests/helpers.ts";
import {
  benchArgs,
  CONTREE,
  DENO_RUN,
  denoCommand,
  interleaved,
  median,
  type Sample,
  sample,
  say,
} from "./measure.ts";

const { values } = parseArgs({
  args: benchArgs(),
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

/** The stdout of one `deno args…` run with the CLI's test environment (plus `env`). */
async function output(args: string[], env: Record<string, string>): Promise<Uint8Array> {
  const out = await denoCommand(args, env).output();
  if (!out.success) {
    throw new Error(`deno ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** Commit of main when the issue was filed; the original measured 2.4× slower than it. */
const ISSUE_COMMIT = "ec2105d";
const ORIGINAL_VS_ISSUE = 2.4;
const TARGET = 5;

/** Unpacks `commit` of this repository into a new temporary directory (`git archive`, `tar`). */
function unpack(commit: string): string {
  const dir = Deno.makeTempDirSync({ prefix: `contree-${commit}-` });
  try {
    const root = new URL("..", import.meta.url).pathname;
    const tarball = `${dir}/${commit}.tar`;
    for (
      const [cmd, args] of [
        ["git", ["-C", root, "archive", "--format=tar", "-o", tarball, commit]],
        ["tar", ["-x", "-f", tarball, "-C", dir]],
      ] as const
    ) {
      const out = new Deno.Command(cmd, { args: [...args], stdout: "null", stderr: "piped" })
        .outputSync();
      if (!out.success) {
        throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
      }
    }
    Deno.removeSync(tarball);
    return dir;
  } catch (e) {
    Deno.removeSync(dir, { recursive: true });
    throw e;
  }
}

const raw = Deno.makeTempFileSync({ prefix: "contree-raw-list-", suffix: ".ts" });
Deno.writeTextFileSync(raw, RAW);
let old: string | undefined;
const emu = await startEmulator({ latencyMs: latency, record: false });
emu.seed(n, { status: "SUCCESS" });
const home = homeFor(emu);
const env = { CONTREE_HOME: home, URL: emu.url, TOKEN: emu.token, MAX: String(n) };
const ps = (...args: string[]) => () => sample([...CONTREE, ...args], env);

try {
  old = unpack(ISSUE_COMMIT);
  // ec2105d's tests/helpers.ts runs main.ts with the same PERMISSIONS, and its `ps` takes the
  // same arguments; its own deno.json (and so its deno.lock) is named, not this tree's. It runs as
  // it shipped, with V8's default flags (the issue's figure was measured so; its modules are its
  // own, so the flag difference evicts no code cache of ours).
  const oldArgs = [
    "run",
    "--quiet",
    ...PERMISSIONS,
    "--config",
    `${old}/deno.json`,
    `${old}/main.ts`,
  ];
  const oldPs = (...args: string[]) => () => sample([...oldArgs, ...args], env);
  const pages = Math.ceil(n / 1000) + 1;
  say(
    `ps: ${n.toLocaleString("en")} operations, ${latency} ms latency per page request, ` +
      `median of ${runs} interleaved runs after a warm-up (Deno ${Deno.version.deno})`,
  );
  const results = await interleaved([
    { name: "raw", run: () => sample([...DENO_RUN, "--allow-net", "--allow-env", raw], env) },
    { name: "table", run: ps("ps", "-a", "-M", String(n)) },
    { name: "issue", run: oldPs("ps", "-a", "-M", String(n)) },
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
  row(`${ISSUE_COMMIT} ps -a -M N (table, issue time)`, "issue");
  row("contree ps -a -M N -q", "quiet");
  row("contree -f json ps -a -M N", "json");
  row("contree ps on an empty filter (start-up)", "empty");
  say(
    `  speed-up of the table against the raw baseline: ${(base / med("table")).toFixed(2)}×; ` +
      `table minus -q (formatting): ${(med("table") - med("quiet")).toFixed(0)} ms; ` +
      `sequential floor ${pages} pages × ${latency} ms = ${pages * latency} ms`,
  );
  // The same bytes as the issue-time code: the whole 20,000-row output, table and JSON.
  for (const args of [["ps", "-a", "-M", String(n)], ["-f", "json", "ps", "-a", "-M", String(n)]]) {
    const [ours, theirs] = await Promise.all([
      output([...CONTREE, ...args], env),
      output([...oldArgs, ...args], env),
    ]);
    const same = ours.length === theirs.length && ours.every((b, i) => b === theirs[i]);
    say(
      `  contree ${args.join(" ")}: ${ours.length.toLocaleString("en")} bytes, ` +
        `${same ? "byte-identical to" : "DIFFERENT from"} ${ISSUE_COMMIT}'s`,
    );
  }
  const original = ORIGINAL_VS_ISSUE * med("issue");
  const speedUp = original / med("table");
  say(
    `  ${ISSUE_COMMIT} (table): ${med("issue").toFixed(0)} ms; original ≈ ${ORIGINAL_VS_ISSUE} × ` +
      `${ISSUE_COMMIT} (the issue's figure) ≈ ${original.toFixed(0)} ms; ` +
      `speed-up of the table: ${speedUp.toFixed(2)}× ` +
      `(${(med("issue") / med("table")).toFixed(2)}× ${ISSUE_COMMIT}) ` +
      `(target ≥ ${TARGET}×: ${speedUp >= TARGET ? "met" : "NOT met"})`,
  );
} finally {
  await emu.close();
  Deno.removeSync(raw);
  if (old) Deno.removeSync(old, { recursive: true });
  try {
    Deno.removeSync(home, { recursive: true });
  } catch { /* removed with the emulator */ }
}
