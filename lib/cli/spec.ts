// The shape of the command table (lib/cli/commands.ts): commands, their flags and positionals,
// modes such as `kill --serve`, and the typed arguments each handler receives.
import type { Client } from "../api/client.ts";
import type { Profile } from "../config/config.ts";
import type { FormatName } from "../output/names.ts";
import type { Io } from "./io.ts";

/** A flag. `metavar` present means it takes a value; otherwise it is a switch (store_true). */
export interface OptionSpec<V = unknown> {
  /** Option strings, short first: `["-a", "--all"]`. */
  readonly flags: readonly string[];
  /** Key in the parsed values. */
  readonly dest: string;
  /** Name of the value in help (`TIMEOUT`); absent for switches. */
  readonly metavar?: string;
  /** The only values accepted; help shows them as `{a,b}`. */
  readonly choices?: readonly string[];
  /** Converts the raw text; throws {@link ArgError} with argparse's wording on bad input. */
  readonly parse?: (raw: string) => V;
  /** The value when the flag is absent. */
  readonly default?: V;
  /** One line (wrapped) in the help screen. */
  readonly help: string;
  /** Accepted but not listed in help (argparse's SUPPRESS). */
  readonly hidden?: boolean;
  /** Acts as soon as it is seen and ends parsing, like argparse's help and version actions. */
  readonly immediate?: boolean;
}

/** A positional argument. Our commands have at most one. */
export interface PositionalSpec {
  /** Key in the parsed values. */
  readonly dest: string;
  /** Shown in usage and errors; choices render as `{a,b}` when absent. */
  readonly metavar?: string;
  /** argparse's nargs: any number, at least one, or an optional single value. */
  readonly nargs: "*" | "+" | "?";
  /** The only values accepted. */
  readonly choices?: readonly string[];
  /** The value when it is absent (`?` only). */
  readonly default?: string;
  /** One line (wrapped) in the help screen. */
  readonly help: string;
  /**
   * The values are operations named by UUID or session-history reference (`HEAD`, `@-1`): the
   * runner resolves them to UUIDs before the handler runs.
   */
  readonly references?: boolean;
}

/** One row of an extra help section: a name (`POST /v1/cancel`, an env variable) and its text. */
export interface HelpEntry {
  /** Left column. */
  readonly name: string;
  /** Right column, wrapped. */
  readonly help: string;
}

/** An extra help section after the options (`endpoints:`, `environment variables:`). */
export interface HelpSection {
  /** The heading, without the colon. */
  readonly title: string;
  /** Its rows, in order. */
  readonly entries: readonly HelpEntry[];
}

// --- Typed arguments: each handler's `args` type is computed from the table's specs. ---------

/** The parsed value of one flag (see {@link ArgsOf}). */
export type OptionValue<O> = O extends { readonly metavar: string } ?
    | (O extends { readonly parse: (raw: string) => infer T } ? T
      : O extends { readonly choices: readonly (infer C)[] } ? C
      : string)
    | (O extends { readonly default: unknown } ? never : undefined)
  : boolean;

/** The parsed value of one positional (see {@link ArgsOf}). */
export type PositionalValue<P> = P extends { readonly nargs: "?" } ?
    | (P extends { readonly choices: readonly (infer C)[] } ? C : string)
    | (P extends { readonly default: string } ? never : undefined)
  : string[];

/**
 * The parsed values of a command with options `O` and positionals `P`, keyed by `dest`: switches
 * are booleans, valued flags their `parse` result (or choice, or string), `undefined` when they
 * have no default; `*`/`+` positionals are string arrays.
 */
export type ArgsOf<
  O extends readonly OptionSpec[],
  P extends readonly PositionalSpec[] = readonly [],
> =
  & { -readonly [X in O[number] as X["dest"]]: OptionValue<X> }
  & { -readonly [X in P[number] as X["dest"]]: PositionalValue<X> };

/** The global flags (before the command), with `cli.ini` defaults applied. */
export interface Globals {
  /** `-f/--format`; `default` when neither the flag nor cli.ini gives one. */
  output_format: FormatName;
  /**
   * Whether `-f/--format` was given on this command line (not only defaulted by cli.ini): what
   * this program adds to the original's output, like `kill`'s result rows, follows only a
   * format asked for here, so a cli.ini default keeps the original's output unchanged.
   */
  format_given: boolean;
  /** `-L/--log-level`. */
  log_level?: string;
  /** `-p/--profile`. */
  profile?: string;
  /** `--token`. */
  token?: string;
  /** `-u/--url`. */
  url?: string;
  /** `-P/--project`. */
  project?: string;
  /** `-c/--config`. */
  config_path?: string;
  /** `-S/--session`. */
  session_key?: string;
}

/** What a command handler receives; `A` is its typed arguments ({@link ArgsOf}). */
export interface CommandContext<A = Record<string, unknown>> {
  /** Parsed values of this command's own flags and positionals. */
  args: A;
  /** Parsed global flags (profile, format, log level, …). */
  globals: Globals;
  /** Where output and logs go, the environment, the `fetch` to use. */
  io: Io;
  /** The API client of the resolved profile (local commands get one that refuses requests). */
  client: Client;
  /** The resolved profile; undefined for local commands. */
  profile?: Profile;
  /** The whole command table (its root), for commands that describe the program itself. */
  table: CommandSpec;
  /**
   * Aborted on Ctrl-C (and SIGTERM unless the command handles signals itself); it also aborts
   * every request of `client` (in flight or waiting to retry), which then rejects with
   * `Interrupted`.
   */
  interrupt: AbortSignal;
  /**
   * Registers what to log before a second Ctrl-C ends the process at once (e.g. the operations
   * not cancelled so far); returns the unregister function.
   */
  onForcedExit?: (report: () => void) => () => void;
}

/** A command handler: returns the exit status. */
export type Handler<A = Record<string, unknown>> = (ctx: CommandContext<A>) => Promise<number>;

/** One node of the command table: parsing, help and dispatch all come from it. */
export interface CommandSpec {
  /** The word that selects it. */
  name: string;
  /** Other words that select it (`ls` for `list`). */
  aliases?: string[];
  /** Words after `contree` in usage lines: `operation cancel` even when typed as `op k`. */
  usageName: string;
  /** One line for the parent's command list. */
  summary: string;
  /** The help screen's text under usage. */
  description: string;
  /** `raw` keeps line breaks (argparse's RawDescriptionHelpFormatter); default wraps. */
  descriptionStyle?: "raw" | "wrap";
  /** The help screen's last text. */
  epilog?: string;
  /** Like {@link descriptionStyle}, for the epilog. */
  epilogStyle?: "raw" | "wrap";
  /** Its flags (the implicit `-h/--help` is added by the parser). */
  options: readonly OptionSpec[];
  /** Its positionals (at most one). */
  positionals: readonly PositionalSpec[];
  /** A dispatcher (`op`, the root): one of these must follow. */
  subcommands?: SubcommandsSpec;
  /**
   * Other ways to run this command, each switched on by a flag (`kill --serve`). A mode's own
   * flags are accepted by this command too (hidden from its help); when the mode's switch is
   * given, the mode's handler runs and `--help` shows the mode's screen.
   */
  modes?: CommandSpec[];
  /** For a mode: the `dest` of the switch that selects it (one of its own options). */
  modeSwitch?: string;
  /** Extra help sections after the options (endpoints, environment variables). */
  sections?: readonly HelpSection[];
  /**
   * Loads the handler lazily, so `--help` and other commands never import it. Typed by
   * {@link command}; the runner passes the parsed values.
   */
  handler?: () => Promise<Handler<never>>;
  /** Runs without a profile or API (e.g. `agent`). */
  local?: boolean;
  /**
   * Handles SIGINT and SIGTERM itself (a server draining its work): its client gets no abort
   * signal, SIGTERM is left to it, and an interrupt does not turn its exit status into 130.
   */
  ownsSignals?: boolean;
}

/** The commands of a dispatcher. */
export interface SubcommandsSpec {
  /** Key of the chosen command's name in the parsed values (`command`). */
  dest: string;
  /** The commands, in help order. */
  commands: CommandSpec[];
  /**
   * Gives the error line (shown without usage) for a word that is not one of `commands`, or
   * undefined for argparse's usual `invalid choice` error.
   */
  unknown?: (word: string) => string | undefined;
}

/**
 * Declares a command with typed arguments: `handler` must accept what `options` and
 * `positionals` parse to (see {@link ArgsOf}), so handlers need no casts.
 *
 * @example
 * ```ts
 * const hello = command({
 *   name: "hello",
 *   usageName: "hello",
 *   summary: "Say hello",
 *   description: "Says hello.",
 *   options: [{ flags: ["-n", "--name"], dest: "name", metavar: "NAME", help: "Who" }],
 *   positionals: [],
 *   handler: async () => async (ctx) => (ctx.args.name ?? "world").length,
 *   local: true,
 * });
 * ```
 */
export function command<
  const O extends readonly OptionSpec[],
  const P extends readonly PositionalSpec[],
>(
  spec: Omit<CommandSpec, "options" | "positionals" | "handler"> & {
    options: O;
    positionals: P;
    handler?: () => Promise<Handler<NoInfer<ArgsOf<O, P>>>>;
  },
): CommandSpec {
  return spec;
}

/** A usage error: argparse prints usage, `<prog>: error: <message>`, exits 2. */
export class ArgError extends Error {
  /** Always `"ArgError"`. */
  override name = "ArgError";
}

/**
 * Converts to an integer ≥ 1 with argparse's wording (`--timeout`, `--show-max`).
 *
 * @example
 * ```ts
 * positiveInt("60"); // 60
 * ```
 */
export function positiveInt(raw: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw new ArgError(`invalid int value: '${raw}'`);
  const n = Number(raw);
  if (n < 1) throw new ArgError(`must be >= 1, got ${n}`);
  return n;
}

/**
 * Declares a mode of a command (`kill --serve`): its own flags, help screen and handler. The
 * handler receives the parent's values and the mode's, typed (see {@link ArgsOf}).
 *
 * @example
 * ```ts
 * const parent = {
 *   options: [{ flags: ["-a", "--all"], dest: "all", help: "Everything" }],
 *   positionals: [],
 * } as const;
 * const dry = mode(parent, {
 *   name: "dry-run",
 *   usageName: "kill --dry-run",
 *   summary: "",
 *   description: "Says what would be done.",
 *   modeSwitch: "dry_run",
 *   options: [{ flags: ["--dry-run"], dest: "dry_run", help: "Do nothing" }],
 *   handler: async () => async (ctx) => ctx.args.all && ctx.args.dry_run ? 0 : 1,
 * });
 * ```
 */
export function mode<
  const PO extends readonly OptionSpec[],
  const PP extends readonly PositionalSpec[],
  const O extends readonly OptionSpec[],
>(
  _parent: { readonly options: PO; readonly positionals: PP },
  spec: Omit<CommandSpec, "options" | "positionals" | "handler" | "modeSwitch"> & {
    modeSwitch: string;
    options: O;
    handler: () => Promise<Handler<NoInfer<ArgsOf<readonly [...PO, ...O], PP>>>>;
  },
): CommandSpec {
  return { ...spec, positionals: [] };
}
