// `deno run <url>` exactly as README prints it: the repository served over HTTP, an empty
// DENO_DIR, a working directory with no deno.json in sight. Proves every import is a full
// specifier and that plain commands never fetch Hono.
import assert from "node:assert/strict";
import { VERSION } from "../../lib/version.ts";
import { startEmulator } from "../emulator/server.ts";
import { baseEnv, lines, makeHome, RUNTIME_FLAGS } from "../helpers.ts";
import { ALL_SECRETS, attachServe, type ServeProcess } from "../serve/helpers.ts";
import {
  readmeInstallLine,
  readmeRunLine,
  run,
  seedNpmCache,
  serveDirectory,
  treeContains,
} from "./util.ts";

Deno.test("README one-liner: flags are the binary's permissions and the URL names VERSION", () => {
  const { flags, url } = readmeRunLine();
  assert.deepEqual(flags, ["--no-config", ...RUNTIME_FLAGS]);
  assert.match(url, new RegExp(`/v${VERSION.replaceAll(".", "\\.")}/main\\.ts$`));
  const install = readmeInstallLine();
  assert.deepEqual(install.filter((w) => w.startsWith("--")), ["--no-config", ...RUNTIME_FLAGS]);
  assert.equal(install.at(-1), url);
});

/**
 * What a `deno run <url>` test needs: this repository served over HTTP, an emulator, an empty
 * DENO_DIR, a working directory with no deno.json and a CONTREE_HOME pointing at the emulator;
 * all stopped and removed on dispose.
 */
async function urlRunSetup() {
  const server = serveDirectory();
  const emu = await startEmulator();
  const denoDir = Deno.makeTempDirSync({ prefix: "contree-deno-dir-" });
  const cwd = Deno.makeTempDirSync({ prefix: "contree-cwd-" });
  const home = makeHome([{ token: emu.token, url: emu.url }]);
  return {
    server,
    emu,
    denoDir,
    cwd,
    home,
    async [Symbol.asyncDispose]() {
      await server.close();
      await emu.close();
      for (const dir of [denoDir, cwd, home]) Deno.removeSync(dir, { recursive: true });
    },
  };
}

Deno.test("deno run <url>: --help, then kill against the emulator, from an empty DENO_DIR", async () => {
  await using setup = await urlRunSetup();
  const { server, emu, denoDir, cwd, home } = setup;
  const { flags } = readmeRunLine();
  const main = `${server.url}main.ts`;
  const env = { DENO_DIR: denoDir, CONTREE_HOME: home, CONTREE_RETRY_DELAYS: "", COLUMNS: "80" };
  // No deno.json between cwd and the root: --no-config aside, nothing could lend an import map.
  for (let dir = cwd;;) {
    for (const name of ["deno.json", "deno.jsonc", "package.json"]) {
      assert.throws(() => Deno.statSync(`${dir}/${name}`), `${dir}/${name} exists`);
    }
    const parent = dir.replace(/[\\/][^\\/]*$/, "");
    if (parent === dir || parent === "") break;
    dir = parent;
  }

  const help = await run(Deno.execPath(), ["run", "--quiet", ...flags, main, "--help"], {
    env,
    cwd,
  });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^usage: contree /);
  assert.match(help.stdout, /\bkill\b/);
  assert.equal(help.stderr, "");
  assert.ok(server.requested.includes("/main.ts"));
  assert.ok(server.requested.includes("/lib/cli/run.ts"), "modules came from the server");

  const [op] = emu.seed(1, { status: "EXECUTING" });
  const kill = await run(Deno.execPath(), ["run", "--quiet", ...flags, main, "kill", op.uuid], {
    env,
    cwd,
  });
  assert.equal(kill.code, 0, kill.stderr);
  assert.equal(kill.stdout, "");
  assert.deepEqual(lines(kill.stderr), [`[INFO] Cancelled operation ${op.uuid}`]);
  assert.deepEqual(emu.seen("DELETE").map((q) => q.path), [`/v1/operations/${op.uuid}`]);
  assert.equal(emu.ops.get(op.uuid)!.status, "CANCELLED");

  // Plain commands fetch no npm package: not the server's Hono (loaded only when --serve
  // runs), not a logging library.
  assert.ok(!treeContains(denoDir, "hono"), "Hono was fetched for plain commands");
  assert.ok(!treeContains(`${denoDir}/npm`, "logtape"), "no logging library was fetched");
});

Deno.test("deno install -g <url> as README prints it: the installed contree runs", async () => {
  const server = serveDirectory();
  const denoDir = Deno.makeTempDirSync({ prefix: "contree-deno-dir-" });
  const root = Deno.makeTempDirSync({ prefix: "contree-install-" });
  try {
    const argv = readmeInstallLine().slice(1);
    argv[argv.length - 1] = `${server.url}main.ts`;
    const install = await run(Deno.execPath(), [
      ...argv.slice(0, 2),
      "--root",
      root,
      ...argv.slice(2),
    ], {
      env: { DENO_DIR: denoDir },
      cwd: root,
    });
    assert.equal(install.code, 0, install.stderr);
    const shim = `${root}/bin/contree${Deno.build.os === "windows" ? ".cmd" : ""}`;
    const version = await run(shim, ["--version"], { env: { DENO_DIR: denoDir }, cwd: root });
    assert.equal(version.code, 0, version.stderr);
    assert.match(
      version.stdout,
      new RegExp(`^contree-cli/${VERSION.replaceAll(".", "\\.")} Deno/`),
    );
  } finally {
    await server.close();
    for (const dir of [denoDir, root]) Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deno run <url> kill --serve: the server's modules load on demand and it answers", async () => {
  await using setup = await urlRunSetup();
  const { server, denoDir, cwd, home } = setup;
  let serve: ServeProcess | undefined;
  try {
    // Hono and ipaddr.js from this machine's cache; a dead proxy makes any registry request fail.
    await seedNpmCache(denoDir, ["hono", "ipaddr.js"]);
    const { flags } = readmeRunLine();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...flags, `${server.url}main.ts`, "kill", "--serve", "--port", "0"],
      env: {
        ...baseEnv(),
        DENO_DIR: denoDir,
        CONTREE_HOME: home,
        CONTREE_WEBHOOK_SECRET: ALL_SECRETS,
        HTTPS_PROXY: "http://127.0.0.1:9",
        HTTP_PROXY: "",
        NO_PROXY: "127.0.0.1",
      },
      clearEnv: true,
      cwd,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    serve = await attachServe(child);
    // The server module is not in the graph Deno reads ahead; it came from the server on demand.
    assert.ok(server.requested.includes("/lib/serve/server.ts"), server.requested.join());
    const res = await fetch(`${serve.url}/healthz`);
    assert.equal(res.status, 200, await res.text());
    const { code } = await serve.stop("SIGTERM");
    assert.equal(code, 0, serve.stderr());
  } finally {
    await serve?.stop("SIGKILL");
  }
});
