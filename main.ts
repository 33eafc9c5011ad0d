// contree: the command-line entry point. All logic lives in lib/; this file wires real I/O.
import { runCli } from "./lib/cli/run.ts";
import { streamWriter } from "./lib/cli/io.ts";
import { streamReader } from "./lib/cli/stdin.ts";

/** The terminal width, read once: `$COLUMNS`, else the console's when stdout is a terminal. */
function columns(): number | undefined {
  const env = Number(Deno.env.get("COLUMNS"));
  if (env > 0) return env;
  try {
    return Deno.stdout.isTerminal() ? Deno.consoleSize().columns : undefined;
  } catch {
    return undefined;
  }
}

const code = await runCli(Deno.args, {
  stdout: streamWriter(Deno.stdout),
  stderr: streamWriter(Deno.stderr),
  env: Deno.env.toObject(),
  fetch: globalThis.fetch,
  cwd: Deno.cwd(),
  stdin: streamReader(Deno.stdin),
  columns: columns(),
}, {
  onInterrupt: (listener) => {
    Deno.addSignalListener("SIGINT", listener);
    return () => Deno.removeSignalListener("SIGINT", listener);
  },
  onTerminate: (listener) => {
    if (Deno.build.os === "windows") return () => {}; // Windows delivers no SIGTERM to listen to
    Deno.addSignalListener("SIGTERM", listener);
    return () => Deno.removeSignalListener("SIGTERM", listener);
  },
  exit: (code) => Deno.exit(code),
});
Deno.exit(code);
