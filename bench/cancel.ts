// Benchmark: `contree kill --all` against the emulator, as ratios against a raw `fetch` client
// that makes the same requests (the active listing, then one DELETE per operation, 8 in flight),
// measured alternately in the same run.
//   - 2,000 operations at 5 ms per request (the original's scale)
//   - 20,000 operations at 1 ms per request (target ≤ 1.1× the raw client)
//   - peak memory of `kill --all` for 200,000 operations (target ≤ 120 MiB)
//
//   deno task bench:cancel [-- --runs 3 --skip-memory]
import { parseArgs } from "node:util";
import { type Emulator, startEmulator } from "../tests/emulator/server.ts";
import { makeHome } from "../tests/helpers.ts";
import { CONTREE, median, ratio, type Sample, sample, say } from "./measure.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "skip-memory": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);

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
  const cases = {
    raw: () => sample(["run", "--quiet", "--allow-net", "--allow-env", raw], env),
    contree: () => sample([...CONTREE, "-L", "warning", "kill", "--all"], env),
  };
  try {
    const times: Record<string, number[]> = { raw: [], contree: [] };
    for (let i = 0; i <= runs; i++) {
      for (const [who, run] of Object.entries(cases)) {
        reset();
        const s = check(await run(), who);
        if (i > 0) times[who].push(s.ms); // the first round warms caches
      }
    }
    const base = median(times.raw);
    const ours = median(times.contree);
    say(label);
    say(`  raw fetch client (baseline)  ${base.toFixed(0).padStart(7)} ms  1.00×`);
    say(
      `  contree kill --all           ${ours.toFixed(0).padStart(7)} ms  ${
        ratio(ours, base, target)
      }`,
    );
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

async function memory(emu: Emulator, n: number, limitMiB: number) {
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
    reset();
    const env = { CONTREE_HOME: home, URL: emu.url, TOKEN: emu.token };
    const base = check(
      await sample(["run", "--quiet", "--allow-net", "--allow-env", raw], env),
      "raw",
    );
    reset();
    const s = check(await sample([...CONTREE, "-L", "warning", "kill", "--all"], env), "contree");
    const peak = s.peakMiB ?? NaN;
    const basePeak = base.peakMiB ?? NaN;
    say(`kill --all of ${n.toLocaleString("en")} operations (0 ms latency)`);
    say(
      `  raw fetch client (baseline)  ${base.ms.toFixed(0).padStart(7)} ms  peak RSS ${
        basePeak.toFixed(0)
      } MiB`,
    );
    say(
      `  contree kill --all           ${s.ms.toFixed(0).padStart(7)} ms  peak RSS ${
        peak.toFixed(0)
      } MiB  (${(peak / basePeak).toFixed(2)}× the raw client; target ≤ ${limitMiB} MiB: ${
        peak <= limitMiB ? "met" : "NOT met"
      })`,
    );
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

try {
  say(`kill --all, median of ${runs} alternating runs after a warm-up (Deno ${Deno.version.deno})`);
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
  if (!values["skip-memory"]) {
    const emu = await startEmulator({ record: false });
    try {
      await memory(emu, 200_000, 120);
    } finally {
      await emu.close();
    }
  }
} finally {
  Deno.removeSync(raw);
}
