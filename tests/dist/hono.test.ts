// Hono is for `--serve` only: plain commands (and library users) never load it. Checked twice:
// in the module graph (no static import path from main.ts or mod.ts reaches Hono) and at run time
// (with a Deno cache that holds no npm package at all, `--cached-only` plain commands still work).
// Start-up: what main.ts loads before it knows the command is the table and the parser; the help
// renderer loads only to answer help or a usage error, and the runner, the logger and the session
// database only for a command that runs.
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { lines, makeHome, PERMISSIONS } from "../helpers.ts";
import { UNLISTED_MODULES } from "../../lib/cli/commands.ts";
import { ROOT, ROOT_URL, run, staticGraph } from "./util.ts";

for (const entry of ["main.ts", "mod.ts"]) {
  Deno.test(`module graph: no static import path from ${entry} reaches Hono`, async () => {
    const graph = await staticGraph(entry);
    assert.ok(graph.has(new URL(entry, ROOT_URL).href), [...graph].join("\n"));
    const npm = [...graph].filter((s) => s.startsWith("npm:") || /logtape|node:util/.test(s));
    assert.deepEqual(npm, [], `no npm package (LogTape included) is a static dependency`);
    const hono = [...graph].filter((s) => /hono/i.test(s));
    assert.deepEqual(hono, [], `statically reachable: ${hono.join(", ")}`);
  });
}

Deno.test("module graph: main.ts loads neither the help renderer, nor the runner, nor the logger, nor sessions before the command is known", async () => {
  const graph = [...await staticGraph("main.ts")].map((s) => s.replace(ROOT_URL.href, ""));
  const lazy = [
    "lib/cli/help.ts",
    "lib/cli/execute.ts",
    "lib/log/log.ts",
    "lib/session/",
    "lib/api/",
  ];
  for (const path of lazy) {
    const hits = graph.filter((s) => s.startsWith(path));
    assert.deepEqual(hits, [], `${path} is loaded before the command is known`);
  }
  assert.ok(
    graph.includes("lib/cli/commands.ts") && graph.includes("lib/cli/parse.ts"),
    graph.join(),
  );
});

Deno.test("module graph: the runner loads the session database and the reference resolver only for commands that take references", async () => {
  const graph = [...await staticGraph("lib/cli/execute.ts")].map((s) =>
    s.replace(ROOT_URL.href, "")
  );
  assert.ok(graph.includes("lib/api/client.ts"), graph.join()); // control: the graph is the runner's
  assert.deepEqual(graph.filter((s) => s.startsWith("lib/session/")), []);
});

Deno.test("start-up: Deno reads no --serve module and no npm package before main.ts runs", async () => {
  // Deno reads and analyses, before running anything, every module a literal import() names.
  const graph = [...await staticGraph("main.ts", { dynamic: true })].map((s) =>
    s.replace(ROOT_URL.href, "")
  );
  // Control: the other handlers are literal lazy imports, so the graph does follow them.
  assert.ok(graph.includes("lib/commands/list.ts"), graph.join());
  assert.deepEqual(graph.filter((s) => s.startsWith("lib/serve/")), []);
  assert.deepEqual(graph.filter((s) => s.startsWith("npm:")), []);
  for (const path of UNLISTED_MODULES) assert.ok(!graph.includes(path), path);
});

Deno.test("run time: with no npm package in the cache, --help and kill work (--cached-only)", async () => {
  const denoDir = Deno.makeTempDirSync({ prefix: "contree-no-hono-" });
  const emu = await startEmulator();
  const home = makeHome([{ token: emu.token, url: emu.url }]);
  try {
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
