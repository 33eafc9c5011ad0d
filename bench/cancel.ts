// Benchmark: `contree kill --all` cancelling 2,000 active operations on the emulator with 5 ms of
// added latency per request, against the sequential and concurrent floors.
// Run: deno task bench:cancel [-- --ops 2000 --latency 5]
import { parseArgs } from "node:util";
import { startEmulator } from "../tests/emulator/server.ts";
import { homeFor, runContree } from "../tests/helpers.ts";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "2000" },
    latency: { type: "string", default: "5" },
    concurrency: { type: "string", default: "8" },
  },
});
const n = Number(values.ops);
const latency = Number(values.latency);
const concurrency = Number(values.concurrency);

const emu = await startEmulator({ latencyMs: latency, record: false });
const home = homeFor(emu);
const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));

async function once(c: number): Promise<number> {
  emu.ops.clear();
  emu.seed(n, { status: "PENDING" });
  const t0 = performance.now();
  const r = await runContree(["-L", "warning", "kill", "--all"], {
    home,
    env: { CONTREE_CONCURRENCY: String(c) },
  });
  const ms = performance.now() - t0;
  const left = [...emu.ops.values()].filter((o) => o.status !== "CANCELLED").length;
  if (r.code !== 0 || left !== 0) {
    throw new Error(`run failed (exit ${r.code}, ${left} left): ${r.stderr}`);
  }
  return ms;
}

try {
  await once(concurrency); // warm the module cache
  const runs = [await once(concurrency), await once(concurrency), await once(concurrency)];
  const median = runs.sort((a, b) => a - b)[1];
  const pages = Math.ceil((n + 1) / 100);
  const seqFloor = n * latency;
  const concFloor = (n * latency) / concurrency;
  out(`kill --all: ${n} operations, ${latency} ms latency per request, concurrency ${concurrency}`);
  out(`  wall time (median of 3, whole process): ${median.toFixed(0)} ms`);
  out(`  sequential floor (${n} × ${latency} ms):            ${seqFloor} ms`);
  out(
    `  concurrent floor (${n} × ${latency} ms / ${concurrency}):       ${concFloor.toFixed(0)} ms`,
  );
  out(`  listing floor (${pages} pages × ${latency} ms, sequential): ${pages * latency} ms`);
  out(`  speed-up over the sequential floor: ${(seqFloor / median).toFixed(1)}×`);
} finally {
  await emu.close();
}
