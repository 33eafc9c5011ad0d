// Start-up cost of the real CLI with a warm cache, as ratios against a hello-world `deno run`
// measured in the same run (interleaved, so a noisy machine hits both alike):
//   - `--version`, `--help`, `kill --help` (target ≤ 1.5× hello world)
//   - `kill UUID` against the emulator (one DELETE; start-up plus one request)
// Also checks that plain commands do not load Hono (module graph, static imports only).
//
//   deno task bench:startup [RUNS]      (default 15 runs per case)
import { fileURLToPath } from "node:url";
import { startEmulator } from "../tests/emulator/server.ts";
import { makeHome } from "../tests/helpers.ts";
import { run, staticGraph } from "../tests/dist/util.ts";
import { CONTREE, DENO_RUN, interleaved, median, ratio, sample, say } from "./measure.ts";

const RUNS = Number(Deno.args[0] ?? 15);
const ROOT = fileURLToPath(new URL("../", import.meta.url));

const hello = Deno.makeTempFileSync({ prefix: "contree-hello-", suffix: ".ts" });
Deno.writeTextFileSync(hello, 'console.log("hello world");\n');
const emu = await startEmulator({ record: true });
const home = makeHome([{ token: emu.token, url: emu.url }]);
try {
  const warm = await run(Deno.execPath(), ["cache", "main.ts"], { cwd: ROOT });
  if (warm.code !== 0) throw new Error(warm.stderr);
  const ops = emu.seed(RUNS + 1, { status: "EXECUTING" });
  const env = { CONTREE_HOME: home, CONTREE_RETRY_DELAYS: "" };
  const cases = [
    { name: "hello world (deno run, baseline)", args: () => [...DENO_RUN, hello] },
    { name: "contree --version", args: () => [...CONTREE, "--version"] },
    { name: "contree --help", args: () => [...CONTREE, "--help"] },
    { name: "contree kill --help", args: () => [...CONTREE, "kill", "--help"] },
    { name: "contree kill UUID (emulator)", args: () => [...CONTREE, "kill", ops.pop()!.uuid] },
  ].map((c) => ({ name: c.name, run: () => sample(c.args(), env) }));
  const results = await interleaved(cases, RUNS);

  say(`startup, median of ${RUNS} interleaved runs after a warm-up (Deno ${Deno.version.deno})`);
  const base = median(results.get(cases[0].name)!.map((s) => s.ms));
  for (const [name, samples] of results) {
    const ms = median(samples.map((s) => s.ms));
    const target = /help|version/.test(name) ? 1.5 : undefined;
    say(`  ${name.padEnd(36)} ${ms.toFixed(1).padStart(7)} ms  ${ratio(ms, base, target)}`);
  }
  const deletes = emu.seen("DELETE").length;
  if (deletes !== RUNS + 1) throw new Error(`expected ${RUNS + 1} DELETEs, saw ${deletes}`);

  const graph = await staticGraph("main.ts");
  const hono = [...graph].filter((s) => /hono/i.test(s));
  say(
    `\nmodule graph of main.ts: ${graph.size} modules statically reachable, ` +
      (hono.length ? `Hono among them: ${hono.join(", ")}` : "Hono not among them"),
  );
  if (hono.length) Deno.exitCode = 1;
} finally {
  await emu.close();
  Deno.removeSync(home, { recursive: true });
  Deno.removeSync(hello);
}
