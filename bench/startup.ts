// Start-up cost of `deno run main.ts` with a warm cache: `--help`, `--version`, and `kill` of one
// operation against the emulator, next to a Deno process that does nothing (the runtime's floor).
// Also checks that plain commands do not load Hono (module graph, static imports only).
//
//   deno task bench:startup [RUNS]      (default 15 runs per case; median, min and max in ms)
import { fileURLToPath } from "node:url";
import { startEmulator } from "../tests/emulator/server.ts";
import { makeHome, PERMISSIONS } from "../tests/helpers.ts";
import { run, staticGraph } from "../tests/dist/util.ts";

const RUNS = Number(Deno.args[0] ?? 15);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const encoder = new TextEncoder();
const say = (text: string) => Deno.stdout.writeSync(encoder.encode(text + "\n"));

/** Runs `args` RUNS times (after one untimed warm-up) and returns the wall times in ms. */
async function time(args: () => string[], env: Record<string, string> = {}): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const argv = args();
    const t0 = performance.now();
    const out = await run(Deno.execPath(), argv, { env, cwd: ROOT });
    const ms = performance.now() - t0;
    if (out.code !== 0) throw new Error(`deno ${argv.join(" ")} exited ${out.code}: ${out.stderr}`);
    if (i > 0) times.push(ms);
  }
  return times;
}

function stats(times: number[]): { median: number; min: number; max: number } {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s.at(-1)! };
}

const floor = Deno.makeTempFileSync({ prefix: "contree-empty-", suffix: ".ts" });
Deno.writeTextFileSync(floor, "export {};\n");
const emu = await startEmulator({ record: true });
const home = makeHome([{ token: emu.token, url: emu.url }]);
try {
  const warm = await run(Deno.execPath(), ["cache", "main.ts"], { cwd: ROOT });
  if (warm.code !== 0) throw new Error(warm.stderr);
  const ops = emu.seed(RUNS + 1, { status: "EXECUTING" });
  const env = { CONTREE_HOME: home, CONTREE_RETRY_DELAYS: "" };
  const main = ["run", "--quiet", ...PERMISSIONS, "main.ts"];
  const cases: [string, () => string[]][] = [
    ["deno run (empty script, floor)", () => ["run", "--quiet", "--no-config", floor]],
    ["contree --version", () => [...main, "--version"]],
    ["contree --help", () => [...main, "--help"]],
    ["contree --help (--no-config, as from a URL)", () => [
      "run",
      "--quiet",
      "--no-config",
      ...PERMISSIONS,
      "main.ts",
      "--help",
    ]],
    ["contree kill UUID (emulator)", () => [...main, "kill", ops.pop()!.uuid]],
  ];

  say(`startup, ${RUNS} runs each after one warm-up, cache warm (Deno ${Deno.version.deno})`);
  say(`${"case".padEnd(46)} ${"median".padStart(8)} ${"min".padStart(8)} ${"max".padStart(8)}`);
  for (const [name, args] of cases) {
    const { median, min, max } = stats(await time(args, env));
    const f = (n: number) => `${n.toFixed(1)}ms`.padStart(8);
    say(`${name.padEnd(46)} ${f(median)} ${f(min)} ${f(max)}`);
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
  Deno.removeSync(floor);
}
