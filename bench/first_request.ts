// A real command's first request: `contree ps` answering from one 10-row page of a local server,
// against a raw Deno script that makes the same GET with the same headers and prints the rows,
// measured interleaved in the same run (target: ≤ 1.3× the raw script). `ps` sends the original's
// three concurrent page GETs; a fourth case runs it with CONTREE_CONCURRENCY=1, where it sends the
// one GET the raw script sends. A third case shows the floor of this code base under `deno run`:
// the raw script after loading the modules `ps` loads.
//
//   deno task bench:first [RUNS]      (default 15 runs per case)
import { startEmulator } from "../tests/emulator/server.ts";
import { makeHome } from "../tests/helpers.ts";
import { CONTREE, DENO_RUN, interleaved, median, ratio, sample, say } from "./measure.ts";

const RUNS = Number(Deno.args[0] ?? 15);

// The baseline: one fetch, the rows printed as a padded table, nothing else.
const RAW = `
const url = Deno.env.get("URL") + "/v1/operations?status=EXECUTING&offset=0&limit=1000";
const res = await fetch(url, { headers: { Authorization: "Bearer " + Deno.env.get("TOKEN") } });
const body = await res.json();
const rows = Array.isArray(body) ? body : body.operations;
let out = "UUID                                  KIND      STATUS     CREATED\\n";
for (const r of rows) {
  out += r.uuid + "  " + String(r.kind).padEnd(8) + "  " + String(r.status).padEnd(9) + "  " +
    r.created_at + "\\n";
}
Deno.stdout.writeSync(new TextEncoder().encode(out));
`;

// The floor under deno run: the same script after loading (not running) the modules `ps` loads.
const lib = new URL("../lib/", import.meta.url).href;
const FLOOR = [
  "cli/run.ts",
  "cli/execute.ts",
  "commands/list.ts",
].map((m) => `await import(${JSON.stringify(lib + m)});`).join("\n") + RAW;

const raw = Deno.makeTempFileSync({ prefix: "contree-raw-", suffix: ".ts" });
Deno.writeTextFileSync(raw, RAW);
const floor = Deno.makeTempFileSync({ prefix: "contree-floor-", suffix: ".ts" });
Deno.writeTextFileSync(floor, FLOOR);
const emu = await startEmulator({ record: false });
emu.seed(10, { status: "EXECUTING" });
const home = makeHome([{ token: emu.token, url: emu.url }]);
try {
  const env = { CONTREE_HOME: home, URL: emu.url, TOKEN: emu.token };
  const cases = [
    {
      name: "raw fetch script (baseline)",
      args: [...DENO_RUN, "--allow-net", "--allow-env", raw],
    },
    {
      name: "raw script + ps's modules loaded",
      args: [...DENO_RUN, "--allow-net", "--allow-env", "--allow-read", floor],
    },
    { name: "contree ps (one 10-row page)", args: [...CONTREE, "ps"] },
    {
      name: "contree ps, CONTREE_CONCURRENCY=1",
      args: [...CONTREE, "ps"],
      env: { CONTREE_CONCURRENCY: "1" },
    },
  ].map((c) => ({ name: c.name, run: () => sample(c.args, { ...env, ...c.env }) }));
  const results = await interleaved(cases, RUNS);
  const base = median(results.get(cases[0].name)!.map((s) => s.ms));
  say(`first request, median of ${RUNS} interleaved runs (Deno ${Deno.version.deno})`);
  for (const [name, samples] of results) {
    const ms = median(samples.map((s) => s.ms));
    const lines = samples[0].lines;
    const target = name === cases[2].name ? 1.3 : undefined;
    say(
      `  ${name.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms  ${lines} lines  ${
        ratio(ms, base, target)
      }`,
    );
  }
} finally {
  await emu.close();
  Deno.removeSync(home, { recursive: true });
  Deno.removeSync(raw);
  Deno.removeSync(floor);
}
