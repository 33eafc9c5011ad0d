// Benchmark: `contree kill --all` against the emulator, as ratios against a raw `fetch` client
// that makes the same requests (the active listing, then one DELETE per operation, 8 in flight),
// measured alternately in the same run.
//   - 2,000 operations at 5 ms per request (the original's scale)
//   - 20,000 operations at 1 ms per request (target ≤ 1.1× the raw client)
//   - peak memory of `kill --all` for 200,000 operations (target ≤ 120 MiB)
//
// contree ships with V8 flags (tests/helpers.ts V8_FLAGS, in deno.json's start and compile
// tasks). The speed cases time `contree kill --all` with V8's defaults and with those flags,
// both against the raw client with V8's defaults (the target is a plain client); the memory case
// is measured both ways, each time ours and the raw client under the same flags. Other flags:
// `--v8-flags=…` or CONTREE_BENCH_V8_FLAGS (comma-separated as deno takes them; empty: none).
//
//   deno task bench:cancel [-- --runs 5 --skip-memory --memory-only --memory-runs 3
//                              --memory-ops 200000 --v8-flags=--max-semi-space-size=1]
import { parseArgs } from "node:util";
import { type Emulator, startEmulator } from "../tests/emulator/server.ts";
import { MAIN, makeHome, PERMISSIONS, V8_FLAGS } from "../tests/helpers.ts";
import { benchArgs, interleaved, median, ratio, type Sample, sample, say } from "./measure.ts";

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    runs: { type: "string", default: "5" },
    "skip-memory": { type: "boolean", default: false },
    "memory-only": { type: "boolean", default: false },
    "memory-runs": { type: "string", default: "3" },
    "memory-ops": { type: "string", default: "200000" },
    "v8-flags": { type: "string", default: Deno.env.get("CONTREE_BENCH_V8_FLAGS") ?? V8_FLAGS },
  },
});
const runs = Number(values.runs);
const memoryRuns = Number(values["memory-runs"]);
const memoryOps = Number(values["memory-ops"]);
const flags = values["v8-flags"];

/** How a flag set is named in the speed rows. */
const flagName = (v8: string) => v8 === V8_FLAGS ? "shipped flags" : "given flags";

/** `deno run` arguments up to the script: quiet, then the V8 flags when there are any. */
const runPrefix = (v8: string) => ["run", "--quiet", ...(v8 ? [`--v8-flags=${v8}`] : [])];
/** `contree -L warning kill --all` under `v8` flags. */
const contreeArgs = (v8: string) => [
  ...runPrefix(v8),
  ...PERMISSIONS,
  MAIN,
  "-L",
  "warning",
  "kill",
  "--all",
];

// The baseline client: what kill --all has to do, and nothing more.
const RAW = `
const base = Deno.env.get("URL");
const headers = { Authorization: "Bearer " + Deno.env.get("TOKEN") };
const lists = await Promise.all(["PENDING", "ASSIGNED", "EXECUTING"].map(async (status) => {
  const uuids = [];
  for (let offset = 0;; offset += 100) {
    const res = await fetch(base + "/v1/operations?status=" + status + "&limit=100&offset=" + offset, { headers });
    const page = await res.json();
    for (const op of page) uuids.push(op.uuid);
    if (page.length < 100) return uuids;
  }
}));
const uuids = [...new Set(lists.flat())];
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => {
  while (next < uuids.length) {
    const res = await fetch(base + "/v1/operations/" + uuids[next++], { method: "DELETE", headers });
    await res.body?.cancel();
  }
}));
`;

const raw = Deno.makeTempFileSync({ prefix: "contree-raw-cancel-", suffix: ".ts" });
Deno.writeTextFileSync(raw, RAW);
/** The raw client under `v8` flags. */
const rawArgs = (v8: string) => [...runPrefix(v8), "--allow-net", "--allow-env", raw];

async function scenario(emu: Emulator, n: number, label: string, target?: number) {
  const home = makeHome([{ token: emu.token, url: emu.url }]);
  const env = { CONTREE_HOME: home, URL: emu.url, TOKEN: emu.token };
  const reset = () => {
    emu.ops.clear();
    emu.seed(n, { status: "PENDING" });
  };
  const check = (s: Sample, who: string) => {
    const left = [...emu.ops.values()].filter((o) => o.status !== "CANCELLED").length;
    if (left) throw new Error(`${who} left ${left} operations active: ${s.stderr}`);
    return s;
  };
  /** A case: the emulator re-seeded, one run, every operation checked cancelled. */
  const run = (name: string, args: string[]) => ({
    name,
    run: async () => {
      reset();
      return check(await sample(args, env), name);
    },
  });
  const cases = [run("raw", rawArgs("")), run("contree", contreeArgs(""))];
  if (flags) cases.push(run("flagged", contreeArgs(flags)));
  try {
    // A warm-up each, then rounds each starting with the next case, so that the emulator's own
    // garbage collection lands on no case more than others.
    const results = await interleaved(cases, runs);
    const ms = (name: string) => median(results.get(name)!.map((s) => s.ms));
    const base = ms("raw");
    const ours = ms("contree");
    say(label);
    say(`  raw fetch client (baseline)  ${base.toFixed(0).padStart(7)} ms  1.00×`);
    say(
      `  contree kill --all, V8 defaults ${ours.toFixed(0).padStart(4)} ms  ${
        ratio(ours, base, target)
      }`,
    );
    if (flags) {
      const flagged = ms("flagged");
      say(
        `  contree kill --all, ${flagName(flags)} ${flagged.toFixed(0).padStart(4)} ms  ${
          ratio(flagged, base, target)
        }`,
      );
    }
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

/**
 * Peak RSS of the raw client and of `kill --all` for `n` operations, alternately, `memoryRuns`
 * times each, under `v8` flags (both); prints the medians.
 */
async function memory(emu: Emulator, n: number, limitMiB: number, v8: string) {
  const home = makeHome([{ token: emu.token, url: emu.url }]);
  const reset = () => {
    emu.ops.clear();
    // Spread over the three active statuses: --all lists at most 100,000 per status.
    const statuses = ["PENDING", "ASSIGNED", "EXECUTING"];
    statuses.forEach((status, i) => emu.seed(Math.floor((n + i) / 3), { status }));
  };
  const check = (s: Sample, who: string) => {
    const left = [...emu.ops.values()].filter((o) => o.status !== "CANCELLED").length;
    if (left) throw new Error(`${who} left ${left} operations active: ${s.stderr}`);
    return s;
  };
  try {
    const env = { CONTREE_HOME: home, URL: emu.url, TOKEN: emu.token };
    const got: Record<"raw" | "contree", Sample[]> = { raw: [], contree: [] };
    for (let i = 0; i < memoryRuns; i++) {
      reset();
      got.raw.push(check(await sample(rawArgs(v8), env), "raw"));
      reset();
      got.contree.push(check(await sample(contreeArgs(v8), env), "contree"));
    }
    const peaks = (ss: Sample[]) => ss.map((s) => s.peakMiB ?? NaN);
    const line = (ss: Sample[]) => {
      const p = peaks(ss);
      return `${median(ss.map((s) => s.ms)).toFixed(0).padStart(7)} ms  peak RSS ${
        median(p).toFixed(0)
      } MiB (runs: ${p.map((x) => x.toFixed(0)).join(", ")})`;
    };
    const peak = median(peaks(got.contree));
    const basePeak = median(peaks(got.raw));
    say(
      `kill --all of ${n.toLocaleString("en")} operations (0 ms latency), ${
        v8 ? `--v8-flags=${v8}${v8 === V8_FLAGS ? " (shipped)" : ""}` : "default V8 flags"
      }, median of ${memoryRuns}`,
    );
    say(`  raw fetch client (baseline)  ${line(got.raw)}`);
    say(`  contree kill --all           ${line(got.contree)}`);
    say(
      `    ${(peak / basePeak).toFixed(2)}× the raw client; target ≤ ${limitMiB} MiB: ${
        peak <= limitMiB ? "met" : "NOT met"
      }`,
    );
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

try {
  say(`kill --all, median of ${runs} interleaved runs after a warm-up (Deno ${Deno.version.deno})`);
  if (!values["memory-only"]) {
    const slow = await startEmulator({ latencyMs: 5, record: false });
    try {
      await scenario(slow, 2_000, "2,000 operations, 5 ms per request, concurrency 8");
    } finally {
      await slow.close();
    }
    const fast = await startEmulator({ latencyMs: 1, record: false });
    try {
      await scenario(fast, 20_000, "20,000 operations, 1 ms per request, concurrency 8", 1.1);
    } finally {
      await fast.close();
    }
  }
  if (!values["skip-memory"]) {
    const emu = await startEmulator({ record: false });
    try {
      await memory(emu, memoryOps, 120, "");
      if (flags) await memory(emu, memoryOps, 120, flags);
    } finally {
      await emu.close();
    }
  }
} finally {
  Deno.removeSync(raw);
}
