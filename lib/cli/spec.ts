import type { Client } from "../api/client.ts";
import type { Profile } from "../config/config.ts";
import type { Io } from "./io.ts";

/** A flag. `metavar` present means it takes a value; otherwise it is a switch (store_true). */
export interface OptionSpec {
  /** Option strings, short first: `["-a", "--all"]`. */
  flags: string[];
  /** Key in the parsed values. */
  dest: string;
  /** Name of the value in help (`TIMEOUT`); absent for switches. */
  metavar?: string;
  choices?: readonly string[];
  /** Converts the raw text; throws {@link ArgError} with argparse's wording on bad input. */
  parse?: (raw: string) => unknown;
  default?: unknown;
  help: string;
  /** Accepted but not listed in help (argparse's SUPPRESS). */
  hidden?: boolean;
  /** Acts as soon as it is seen and ends parsing, like argparse's help and version actions. */
  immediate?: boolean;
}

/** A positional argument. Our commands have at most one. */
export interface PositionalSpec {
  dest: string;
  /** Shown in usage and errors; choices render as `{a,b}` when absent. */
  metavar?: string;
  nargs: "*" | "+" | "?";
  choices?: readonly string[];
  default?: unknown;
  help: string;
}

/** What a command handler receives. */
export interface CommandContext {
  /** Parsed values of this command's own flags and positionals. */
  args: Record<string, unknown>;
  /** Parsed global flags (profile, format, log level, …). */
  globals: Record<string, unknown>;
  io: Io;
  /** The API client of the resolved profile (local commands get one that refuses requests). */
  client: Client;
  /** The resolved profile; undefined for local commands. */
  profile?: Profile;
  /**
   * Aborted on Ctrl-C or SIGTERM; it also aborts every request of `client` (in flight or waiting
   * to retry), which then rejects with `Interrupted`.
   */
  interrupt: AbortSignal;
  /**
   * Registers what to log before a second Ctrl-C ends the process at once (e.g. the operations
   * not cancelled so far); returns the unregister function.
   */
  onForcedExit?: (report: () => void) => () => void;
}

/** A command handler: returns the exit status. */
export type Handler = (ctx: CommandContext) => Promise<number>;

/** One node of the command table: parsing, help and dispatch all come from it. */
export interface CommandSpec {
  name: string;
  aliases?: string[];
  /** Words after `contree` in usage lines: `operation cancel` even when typed as `op k`. */
  usageName: string;
  /** One line for the parent's command list. */
  summary: string;
  description: string;
  /** `raw` keeps line breaks (argparse's RawDescriptionHelpFormatter); default wraps. */
  descriptionStyle?: "raw" | "wrap";
  epilog?: string;
  epilogStyle?: "raw" | "wrap";
  options: OptionSpec[];
  positionals: PositionalSpec[];
  /** A dispatcher (`op`, the root): one of these must follow. */
  subcommands?: { dest: string; commands: CommandSpec[] };
  /** Loads the handler lazily, so `--help` and other commands never import it. */
  handler?: () => Promise<Handler>;
  /** Runs without a profile or API (e.g. `agent`). */
  local?: boolean;
}

/** A usage error: argparse prints usage, `<prog>: error: <message>`, exits 2. */
export class ArgError extends Error {
  override name = "ArgError";
}

/** Converts to an integer ≥ 1 with argparse's wording (`--timeout`, `--show-max`). */
export function positiveInt(raw: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw new ArgError(`invalid int value: '${raw}'`);
  const n = Number(raw);
  if (n < 1) throw new ArgError(`must be >= 1, got ${n}`);
  return n;
}
