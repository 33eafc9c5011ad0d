// Hono is for `--serve` only: plain commands (and library users) never load it. Checked twice:
// in the module graph (no static import path from main.ts or mod.ts reaches Hono) and at run time
// (with a Deno cache that holds LogTape but not Hono, `--cached-only` plain commands still work).
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { lines, makeHome, PERMISSIONS } from "../helpers.ts";
import { ROOT, ROOT_URL, run, staticGraph } from "./util.ts";

for (const entry of ["main.ts", "mod.ts"]) {
  Deno.test(`module graph: no static import path from ${entry} reaches Hono`, async () => {
    const graph = await staticGraph(entry);
    assert.ok(graph.has(new URL(entry, ROOT_URL).href), [...graph].join("\n"));
    assert.ok([...graph].some((s) => s.includes("logtape")), "LogTape is a static dependency");
    const hono = [...graph].filter((s) => /hono/i.test(s));
    assert.deepEqual(hono, [], `statically reachable: ${hono.join(", ")}`);
  });
}

/** Copies a directory tree with Deno's own APIs (no @std/fs on these machines). */
function copyTree(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

Deno.test("run time: with LogTape but no Hono in the cache, --help and kill work (--cached-only)", async () => {
  const info = await run(Deno.execPath(), ["info", "--json"]);
  const npmCache = JSON.parse(info.stdout).npmCache as string;
  const denoDir = Deno.makeTempDirSync({ prefix: "contree-no-hono-" });
  const emu = await startEmulator();
  const home = makeHome([{ token: emu.token, url: emu.url }]);
  try {
    // Warm the real cache for main.ts's own graph, then copy just LogTape out of it.
    const warm = await run(Deno.execPath(), ["cache", "--no-config", "main.ts"], { cwd: ROOT });
    assert.equal(warm.code, 0, warm.stderr);
    const registry = "registry.npmjs.org";
    copyTree(`${npmCache}/${registry}/@logtape`, `${denoDir}/npm/${registry}/@logtape`);
    const env = { DENO_DIR: denoDir, CONTREE_HOME: home, CONTREE_RETRY_DELAYS: "" };
    const prefix = ["run", "--quiet", "--cached-only", "--no-config", ...PERMISSIONS];

    // Control: anything that imports Hono fails in this cache, so the check below means something.
    const control = await run(Deno.execPath(), [...prefix, "lib/deps/hono.ts"], { env, cwd: ROOT });
    assert.notEqual(control.code, 0);
    assert.match(control.stderr, /hono/);

    const help = await run(Deno.execPath(), [...prefix, "main.ts", "--help"], { env, cwd: ROOT });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^usage: contree /);

    const [op] = emu.seed(1, { status: "EXECUTING" });
    const kill = await run(Deno.execPath(), [...prefix, "main.ts", "kill", op.uuid], {
      env,
      cwd: ROOT,
    });
    assert.equal(kill.code, 0, kill.stderr);
    assert.deepEqual(lines(kill.stderr), [`[INFO] Cancelled operation ${op.uuid}`]);
    assert.deepEqual(emu.seen("DELETE").map((q) => q.path), [`/v1/operations/${op.uuid}`]);
  } finally {
    await emu.close();
    for (const dir of [denoDir, home]) Deno.removeSync(dir, { recursive: true });
  }
});
