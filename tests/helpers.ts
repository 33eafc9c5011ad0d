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

/** Creates a temporary CONTREE_HOME whose auth.ini holds `profiles` (first is the default). */
export function makeHome(profiles: TestProfile[] = []): string {
  const home = Deno.makeTempDirSync({ prefix: "contree-test-" });
  if (profiles.length) {
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
  return home;
}

/** A CONTREE_HOME with one JWT profile pointing at the emulator. */
export function homeFor(emu: Emulator, extra: TestProfile = {}): string {
  return makeHome([{ token: emu.token, url: emu.url, ...extra }]);
}

/**
 * Deno cannot deliver SIGINT/SIGTERM to a child process on Windows (it can only terminate it), so
 * the Ctrl-C and graceful-shutdown tests are skipped there; the code paths are the same.
 */
export const NO_CHILD_SIGNALS = Deno.build.os === "windows";

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
  if (home) env.CONTREE_HOME = home;
  return env;
}

/** Starts the real main.ts as a process (not yet awaited), for tests that send signals. */
export function spawnContree(args: string[], opts: RunOptions = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMISSIONS, MAIN, ...args],
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
