// The program: parse argv against the command table, answer help, version and usage errors at
// once, and only then load the runner (lib/cli/execute.ts) for a command. The help layout
// (lib/cli/help.ts) is loaded only to answer help or a usage error, so a command that runs never
// loads it. main.ts only wires real I/O into it.
import { userAgent } from "../version.ts";
import { ROOT } from "./commands.ts";
import type { Io, RunOptions } from "./io.ts";
import { parseArgv } from "./parse.ts";

export { EXIT_INTERRUPTED, type RunOptions } from "./io.ts";

/**
 * Runs the program for `argv` and returns its exit status. All output goes through `io`.
 *
 * @example
 * ```ts
 * let out = "";
 * const io = {
 *   stdout: { isTerminal: false, write: (text: string) => void (out += text) },
 *   stderr: { isTerminal: false, write: () => {} },
 *   env: {},
 *   fetch: globalThis.fetch,
 *   cwd: ".",
 * };
 * const code = await runCli(["--version"], io); // 0, and the version in `out`
 * ```
 */
export async function runCli(argv: string[], io: Io, opts: RunOptions = {}): Promise<number> {
  const columns = opts.columns ?? io.columns;
  const parsed = argv.length ? parseArgv(ROOT, argv) : undefined;
  if (parsed?.kind === "immediate" && parsed.option.dest === "version") {
    io.stdout.write(`${userAgent()}\n`);
    return 0;
  }
  if (!parsed || parsed.kind === "immediate") {
    const { formatHelp } = await import("./help.ts");
    io.stdout.write(formatHelp(parsed?.command ?? ROOT, columns));
    return 0;
  }
  if (parsed.kind === "error") {
    const { formatUsageError } = await import("./help.ts");
    io.stderr.write(formatUsageError(parsed.command, parsed.message, columns, parsed.bare));
    return 2;
  }
  const { execute } = await import("./execute.ts");
  return execute(parsed.path, parsed.values, io, opts);
}
