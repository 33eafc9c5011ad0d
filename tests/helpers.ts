// Shared test helpers: a throwaway CONTREE_HOME with profiles, and the real CLI run as a process.
import { fileURLToPath } from "node:url";
import { type Emulator, type EmulatorOptions, startEmulator } from "./emulator/server.ts";

/**
 * The permission flags the compiled binary gets: deno.json `start` and every `compile:*` task use
 * the same (tests/dist/tasks.test.ts checks it). No `--allow-sys`: nothing calls an OS-info API.
 */
export const PERMISSIONS = [
  "--no-prompt",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
];

/**
 * The V8 flags contree runs with, as `--v8-flags` takes them: 2 MiB semi-spaces (V8's default
 * young generation grows to 16 MiB ones) and an old generation grown by 50% at a time, not V8's
 * default factor. A bulk cancel of 200,000 operations then peaks near 110 MiB instead of 200.
 * deno.json `start`, every `compile:*` task and README's install lines carry them
 * (tests/dist/tasks.test.ts checks it).
 */
export const V8_FLAGS =
  "--max-semi-space-size=2,--min-semi-space-size=2,--heap-growing-percent=50,--no-lazy";

/** The `deno run` flags of the shipped program: its V8 flags, then its permissions. */
export const RUNTIME_FLAGS: string[] = [`--v8-flags=${V8_FLAGS}`, ...PERMISSIONS];

/** main.ts as a native path (`URL.pathname` would give `/C:/…` on Windows). */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** A profile to write into auth.ini. */
export interface TestProfile {
  name?: string;
  token?: string;
  url?: string;
  type?: "jwt" | "iam";
  project?: string;
}

/**
 * A temporary directory removed on dispose: `using dir = tempDir()` (or `await using`) removes it
 * when the scope ends, whatever happens. Removing twice, or a directory already gone, is fine.
 */
export class TempDir implements Disposable, AsyncDisposable {
  constructor(readonly path: string) {}
  /** The path, so that `${dir}` reads naturally. */
  toString(): string {
    return this.path;
  }
  /** Removes the directory and everything in it. */
  [Symbol.dispose](): void {
    try {
      Deno.removeSync(this.path, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  /** Same as the synchronous dispose (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    this[Symbol.dispose]();
    return Promise.resolve();
  }
}

/** A fresh temporary directory (in `$TMPDIR`), removed when disposed. */
export function tempDir(prefix = "contree-test-"): TempDir {
  return new TempDir(Deno.makeTempDirSync({ prefix }));
}

/** Writes `auth.ini` holding `profiles` (the first is the default) into `home`. */
function writeProfiles(home: string, profiles: TestProfile[]): void {
  if (!profiles.length) return;
  const lines = [`[DEFAULT]`, `profile = ${profiles[0].name ?? "default"}`, ""];
  for (const p of profiles) {
    lines.push(`[profile:${p.name ?? "default"}]`);
    if (p.token) lines.push(`token = ${p.token}`);
    if (p.url) lines.push(`url = ${p.url}`);
    lines.push(`type = ${p.type ?? "jwt"}`);
    if (p.project) lines.push(`project = ${p.project}`);
    lines.push("");
  }
  Deno.writeTextFileSync(`${home}/auth.ini`, lines.join("\n"));
}

/**
 * A temporary CONTREE_HOME whose auth.ini holds `profiles` (first is the default), removed when
 * disposed: `using home = tempHome([...])`, then `home.path`.
 */
export function tempHome(profiles: TestProfile[] = []): TempDir {
  const home = tempDir("contree-test-");
  try {
    writeProfiles(home.path, profiles);
  } catch (e) {
    home[Symbol.dispose]();
    throw e;
  }
  return home;
}

/** Homes from {@link makeHome} not yet removed when the test module ends. */
const unremoved = new Set<TempDir>();
globalThis.addEventListener("unload", () => {
  for (const home of unremoved) home[Symbol.dispose]();
});

/**
 * Creates a temporary CONTREE_HOME whose auth.ini holds `profiles` (first is the default). The
 * caller removes it (in a `finally`); prefer {@link tempHome}, which does that on dispose. One
 * the caller forgot is removed when the test module unloads, as a last resort.
 */
export function makeHome(profiles: TestProfile[] = []): string {
  const home = tempHome(profiles);
  unremoved.add(home);
  return home.path;
}

/**
 * A CONTREE_HOME with one JWT profile pointing at the emulator, removed when the emulator closes.
 */
export function homeFor(emu: Emulator, extra: TestProfile = {}): string {
  const home = tempHome([{ token: emu.token, url: emu.url, ...extra }]);
  emu.defer(() => home[Symbol.dispose]());
  return home.path;
}

/**
 * Deno cannot deliver SIGINT/SIGTERM to a child process on Windows (it can only terminate it), so
 * the Ctrl-C and graceful-shutdown tests are skipped there; the code paths are the same.
 */
export const NO_CHILD_SIGNALS = Deno.build.os === "windows";

/**
 * The concurrencies order- and stop-sensitive tests run at: one DELETE (or GET) at a time, where
 * order and stopping are exact, and the default (8), where requests overlap.
 */
export const CONCURRENCY_CASES: readonly { name: string; env: Record<string, string> }[] = [
  { name: "concurrency 1", env: { CONTREE_CONCURRENCY: "1" } },
  { name: "default concurrency", env: {} },
];

/** What a CLI run produced. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link runContree}. */
export interface RunOptions {
  home?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Environment every CLI test starts from: fast retries, no colour, fixed width. */
export function baseEnv(home?: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
    CONTREE_RETRY_DELAYS: "0.01,0.01,0.01,0.01,0.01,0.01,0.01",
    COLUMNS: "80",
    TZ: "UTC",
    NO_COLOR: "1",
  };
  if (!env.DENO_DIR) delete env.DENO_DIR;
  // Passed on so that anything the CLI itself puts in the temp folder lands where the run's
  // leftover check (.ci/run) looks.
  const tmp = Deno.env.get("TMPDIR");
  if (tmp) env.TMPDIR = tmp;
  if (home) env.CONTREE_HOME = home;
  return env;
}

/** Starts the real main.ts as a process (not yet awaited), for tests that send signals. */
export function spawnContree(args: string[], opts: RunOptions = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUNTIME_FLAGS, MAIN, ...args],
    env: { ...baseEnv(opts.home), ...opts.env },
    clearEnv: true,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs the real main.ts with `args` and collects exit code, stdout and stderr. */
export async function runContree(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const out = await spawnContree(args, opts).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Splits stderr into its log lines. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

/** Runs `fn` with a fresh emulator, closed afterwards whatever happens. */
export async function withEmulator(
  fn: (emu: Emulator) => Promise<void>,
  opts: EmulatorOptions = {},
): Promise<void> {
  const emu = await startEmulator(opts);
  try {
    await fn(emu);
  } finally {
    await emu.close();
  }
}
