// Benchmark: `contree ps -a -M 20000` listing 20,000 operations from the emulator with 5 ms of
// added latency per page request, through the real main.ts, against the sequential floor.
// Reports wall time and the child's peak RSS (VmHWM from /proc, polled while it runs).
// Run: deno task bench:list [-- --ops 20000 --latency 5 --runs 3]
import { parseArgs } from "node:util";
import { startEmulator } from "../tests/emulator/server.ts";
import { baseEnv, homeFor, MAIN, PERMISSIONS } from "../tests/helpers.ts";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "20000" },
    latency: { type: "string", default: "5" },
    runs: { type: "string", default: "3" },
  },
});
const n = Number(values.ops);
const latency = Number(values.latency);
const runs = Number(values.runs);

const emu = await startEmulator({ latencyMs: latency, record: false });
emu.seed(n, { status: "SUCCESS" });
const home = homeFor(emu);
const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));

/** Peak resident memory of a process so far, in KiB (Linux); undefined elsewhere. */
function peakKiB(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface Run {
  ms: number;
  peakMiB?: number;
  rows: number;
}

async function once(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMISSIONS, MAIN, ...args],
    env: { ...baseEnv(home), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peak: number | undefined;
  let running = true;
  const poll = (async () => {
    while (running) {
      peak = Math.max(peak ?? 0, peakKiB(child.pid) ?? 0) || peak;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  // Count output lines as it streams, without keeping it.
  let rows = 0;
  const count = (async () => {
    for await (const chunk of child.stdout) for (const b of chunk) if (b === 10) rows++;
  })();
  const errText = new Response(child.stderr).text();
  const status = await child.status;
  const ms = performance.now() - t0;
  running = false;
  await Promise.all([poll, count]);
  const stderr = await errText;
  if (!status.success) throw new Error(`exit ${status.code}: ${stderr}`);
  return { ms, peakMiB: peak && peak / 1024, rows };
}

function median(xs: Run[]): Run {
  return [...xs].sort((a, b) => a.ms - b.ms)[Math.floor(xs.length / 2)];
}

async function measure(label: string, args: string[], env?: Record<string, string>) {
  await once(args, env); // warm caches
  const all: Run[] = [];
  for (let i = 0; i < runs; i++) all.push(await once(args, env));
  const m = median(all);
  const peak = Math.max(...all.map((r) => r.peakMiB ?? 0));
  out(
    `  ${label.padEnd(44)} ${m.ms.toFixed(0).padStart(6)} ms  peak RSS ${
      peak ? `${peak.toFixed(0)} MiB` : "n/a"
    }  (${m.rows} lines)`,
  );
  return m;
}

try {
  const pages = Math.ceil(n / 1000) + 1; // 20 full pages and the empty one that ends it
  out(`ps: ${n} operations, ${latency} ms latency per page request, median of ${runs}`);
  const empty = await measure("startup: ps on an empty filter", ["ps", "--status", "PENDING"]);
  const quiet = await measure("ps -a -M N -q (concurrency 8)", ["ps", "-a", "-M", String(n), "-q"]);
  await measure("ps -a -M N -f json (concurrency 8)", ["-f", "json", "ps", "-a", "-M", String(n)]);
  await measure("ps -a -M N (table, concurrency 8)", ["ps", "-a", "-M", String(n)]);
  await measure("ps -a -M N -q (CONTREE_CONCURRENCY=1)", ["ps", "-a", "-M", String(n), "-q"], {
    CONTREE_CONCURRENCY: "1",
  });
  out(`  sequential floor (${pages} pages × ${latency} ms):       ${pages * latency} ms`);
  out(
    `  -q wall time minus startup:                  ${(quiet.ms - empty.ms).toFixed(0)} ms`,
  );
} finally {
  await emu.close();
}
