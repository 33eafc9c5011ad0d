// Helpers for the distribution tests: the repository served over HTTP, deno.json's tasks, the
// README's install lines, and a smoke run of any contree executable against the emulator.
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../emulator/server.ts";
import { lines, makeHome } from "../helpers.ts";
import { VERSION } from "../../lib/version.ts";

/** The repository root as a file URL (with a trailing slash) and as a native path. */
export const ROOT_URL = new URL("../../", import.meta.url);
export const ROOT = fileURLToPath(ROOT_URL);

const decoder = new TextDecoder();

/** The six targets `deno compile` supports; each has a `compile:<target>` task. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
  "aarch64-pc-windows-msvc",
];

/** deno.json's tasks, each reduced to its command string (object tasks: their `command`). */
export function readTasks(): Record<string, { command?: string; dependencies?: string[] }> {
  const json = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT_URL)));
  const out: Record<string, { command?: string; dependencies?: string[] }> = {};
  for (const [name, task] of Object.entries(json.tasks ?? {})) {
    out[name] = typeof task === "string" ? { command: task } : task as typeof out[string];
  }
  return out;
}

/** The file-name ending of an executable on this machine: `.exe` on Windows, else nothing. */
export const EXE = Deno.build.os === "windows" ? ".exe" : "";

/**
 * The arguments after `deno` of deno.json's `compile:<target>` task for this machine, writing the
 * binary to `output` instead of dist/.
 */
export function hostCompileArgs(output: string): string[] {
  const argv = words(readTasks()[`compile:${Deno.build.target}`].command!);
  argv[argv.indexOf("--output") + 1] = output;
  return argv.slice(1);
}

/** Splits a task or shell command line on whitespace (our tasks quote nothing). */
export function words(command: string): string[] {
  return command.trim().split(/\s+/);
}

/** The permission-like flags of a `deno run`/`deno compile` command line, in order. */
export function permissionFlags(argv: string[]): string[] {
  return argv.filter((a) => /^--(allow|deny)-|^--no-prompt$/.test(a));
}

/** The `deno run … <url>/main.ts` one-liner of README's Install section, as words. */
export function readmeRunLine(): { flags: string[]; url: string } {
  const readme = Deno.readTextFileSync(new URL("README.md", ROOT_URL));
  const line = readme.split("\n").find((l) => /^deno run .*https:\/\/\S+\/main\.ts/.test(l));
  assert.ok(line, "README has no `deno run … https://…/main.ts` line");
  const argv = words(line.replace(/\s+#.*$/, ""));
  const at = argv.findIndex((a) => a.startsWith("https://"));
  return { flags: argv.slice(2, at), url: argv[at] };
}

/** The `deno install -g … <url>/main.ts` line of README's Install section, as words. */
export function readmeInstallLine(): string[] {
  const readme = Deno.readTextFileSync(new URL("README.md", ROOT_URL));
  const line = readme.split("\n").find((l) => /^deno install -g .*https:\/\/\S+\/main\.ts/.test(l));
  assert.ok(line, "README has no `deno install -g … https://…/main.ts` line");
  return words(line.replace(/\s+#.*$/, ""));
}

const MEDIA_TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/** A static file server over `root` on 127.0.0.1 (what raw.githubusercontent.com does for us). */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** Paths requested, in order. */
  requested: string[];
  close(): Promise<void>;
}

/** Serves the files under `root` read-only; no directory listings, nothing outside `root`. */
export function serveDirectory(root: URL = ROOT_URL): StaticServer {
  const requested: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requested.push(path);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed", { status: 405 });
    }
    if (path.split("/").some((part) => part === ".." || part.startsWith("."))) {
      return new Response("not found", { status: 404 });
    }
    const file = new URL(path.slice(1), root);
    try {
      const body = await Deno.readFile(file);
      const ext = path.slice(path.lastIndexOf("."));
      const type = MEDIA_TYPES[ext] ?? "application/octet-stream";
      return new Response(req.method === "HEAD" ? null : body, {
        headers: { "content-type": type },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const { port } = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${port}/`, requested, close: () => server.shutdown() };
}

/**
 * The parent's environment minus what could change contree's or Deno's behaviour (`CONTREE_*`,
 * `DENO_*` other than the cache and TLS settings, colour switches): a child `deno` keeps whatever this machine
 * needs to reach the npm registry (proxies, CA bundles) and Windows keeps its system variables.
 */
export function networkEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (/^(CONTREE_|DENO_(?!CERT$|TLS_CA_STORE$|DIR$))|^(NO_COLOR|FORCE_COLOR|COLUMNS)$/i.test(k)) {
      continue;
    }
    env[k] = v;
  }
  return env;
}

/**
 * Copies the named npm packages (every cached version, with their registry metadata) from this
 * machine's Deno cache into `denoDir`, so a child using that cache needs no registry.
 */
export async function seedNpmCache(denoDir: string, packages: string[]): Promise<void> {
  const info = await run(Deno.execPath(), ["info", "--json"], { cwd: ROOT });
  assert.equal(info.code, 0, info.stderr);
  const from = `${JSON.parse(info.stdout).denoDir}/npm/registry.npmjs.org`;
  for (const name of packages) {
    cpSync(`${from}/${name}`, `${denoDir}/npm/registry.npmjs.org/${name}`, { recursive: true });
  }
}

/** What a child process produced. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` with exactly `env` (plus PATH/HOME) and collects its output. */
export async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Output> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? "",
      NO_COLOR: "1",
      ...networkEnv(),
      ...opts.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Whether a directory tree contains an entry whose name includes `part`. */
export function treeContains(dir: string, part: string, depth = 3): boolean {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return false;
  }
  return entries.some((e) =>
    e.name.includes(part) ||
    (e.isDirectory && depth > 0 && treeContains(`${dir}/${e.name}`, part, depth - 1))
  );
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/**
 * Module specifiers reachable from `entry` through static runtime imports; with `dynamic`, also
 * through literal `import()`s: everything Deno reads and analyses before the program starts.
 */
export async function staticGraph(
  entry: string,
  opts: { dynamic?: boolean } = {},
): Promise<Set<string>> {
  const out = await run(Deno.execPath(), ["info", "--json", entry], { cwd: ROOT });
  assert.equal(out.code, 0, out.stderr);
  const info = JSON.parse(out.stdout) as {
    roots: string[];
    modules: InfoModule[];
    redirects: Record<string, string>;
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const queue = [...info.roots];
  while (queue.length) {
    const raw = queue.pop()!;
    const spec = info.redirects[raw] ?? raw;
    if (seen.has(spec)) continue;
    seen.add(spec);
    for (const dep of bySpecifier.get(spec)?.dependencies ?? []) {
      if (dep.code && (opts.dynamic || !dep.isDynamic)) queue.push(dep.code.specifier);
    }
  }
  return seen;
}

/**
 * Checks one contree executable (a `deno run` prefix or a compiled binary): `--version` prints
 * the version, and `kill` cancels one operation on a fresh emulator with exactly one DELETE.
 */
export async function smokeExecutable(
  cmd: string,
  prefix: string[],
  opts: { env?: Record<string, string>; cwd?: string; version?: string } = {},
): Promise<void> {
  const expected = (opts.version ?? VERSION).replaceAll(".", "\\.");
  const version = await run(cmd, [...prefix, "--version"], opts);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, new RegExp(`^contree-cli/${expected} `));
  assert.match(version.stdout, new RegExp(`Deno/\\d+\\.\\d+\\.\\d+`));

  const emu = await startEmulator();
  try {
    const [op] = emu.seed(1, { status: "EXECUTING" });
    const home = makeHome([{ token: emu.token, url: emu.url }]);
    const kill = await run(cmd, [...prefix, "kill", op.uuid], {
      ...opts,
      env: { ...opts.env, CONTREE_HOME: home, CONTREE_RETRY_DELAYS: "" },
    });
    assert.equal(kill.code, 0, kill.stderr);
    assert.equal(kill.stdout, "");
    assert.deepEqual(lines(kill.stderr), [`[INFO] Cancelled operation ${op.uuid}`]);
    assert.deepEqual(emu.seen("DELETE").map((q) => q.path), [`/v1/operations/${op.uuid}`]);
    Deno.removeSync(home, { recursive: true });
  } finally {
    await emu.close();
  }
}

// `deno run --allow-all tests/dist/util.ts BINARY`: the release workflow's smoke test of a binary.
if (import.meta.main) {
  const [binary] = Deno.args;
  if (!binary) throw new Error("usage: deno run --allow-all tests/dist/util.ts BINARY");
  await smokeExecutable(binary, []);
  Deno.stdout.writeSync(new TextEncoder().encode(`ok: ${binary} --version and kill\n`));
}
