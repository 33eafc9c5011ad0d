// The command table: the single source of parsing, help screens and dispatch.
import { LOG_LEVELS } from "../log/log.ts";
import { FORMAT_NAMES } from "../output/names.ts";
import type { CommandSpec, Handler, OptionSpec, PositionalSpec } from "./spec.ts";
import { ArgError, positiveInt } from "./spec.ts";
import { timeArg } from "./times.ts";

/** Long description shared by the top-level shortcuts and `op` (raw layout, as the original). */
const OPERATIONS_DESCRIPTION = `Manage operations (list, inspect, cancel).

Aggregates ps/show/kill under a single namespace, and adds multi-UUID
support to \`\`show\`\` and \`\`cancel\`\` so several operations can be acted
on in one invocation.

Subcommands:
  list (ls)             List operations. \`\`contree ps\`\` is an alias.
  show UUID [UUID...]   Show one or more operation results.
  cancel UUID [UUID...] Cancel one or more operations (or --all).`;

const OPERATIONS_EPILOG = `for coding agents:
  list/show are read-only; cancel mutates remote state
  show and cancel accept multiple UUIDs in one invocation
  show supports @N session-history references inherited from \`contree show\`

agent note:
  Before using this command in an automated workflow, read:
    contree agent`;

/** Options of `kill` and `op cancel`: one definition, shared. */
export const CANCEL_OPTIONS: OptionSpec[] = [
  { flags: ["-a", "--all"], dest: "all", help: "Cancel every active operation" },
  // The webhook server's flags: hidden so `kill --help` stays the original's text;
  // `kill --serve --help` documents them (lib/serve/help.ts).
  { flags: ["--serve"], dest: "serve", help: "Run the webhook server", hidden: true },
  {
    flags: ["--hostname"],
    dest: "hostname",
    metavar: "HOST",
    default: "127.0.0.1",
    help: "Address to listen on",
    hidden: true,
  },
  {
    flags: ["--port"],
    dest: "port",
    metavar: "PORT",
    parse: portNumber,
    default: 8787,
    help: "Port to listen on (0: any free port)",
    hidden: true,
  },
  {
    flags: ["--state"],
    dest: "state",
    metavar: "FILE",
    help: "SQLite file keeping answered deliveries",
    hidden: true,
  },
  {
    flags: ["--deadline"],
    dest: "deadline",
    metavar: "SECONDS",
    parse: positiveSeconds,
    default: 10,
    help: "Answer 202 after this long and finish in the background",
    hidden: true,
  },
];

/** `--port`: an integer 0-65535 (0 picks a free port). */
function portNumber(raw: string): number {
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || n > 65535) throw new ArgError(`invalid port: '${raw}'`);
  return n;
}

/** `--deadline`: a number of seconds > 0. */
function positiveSeconds(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new ArgError(`invalid positive number of seconds: '${raw}'`);
  }
  if (n > 2147483) throw new ArgError(`--deadline must be at most 2147483 seconds, got '${raw}'`);
  return n;
}

const CANCEL_POSITIONAL: PositionalSpec = {
  dest: "uuids",
  metavar: "UUID_OR_REF",
  nargs: "*",
  help:
    "Operations to cancel. Accepts UUIDs and session-history references (HEAD, HEAD~N, @, @N, @-N, @+N, :N, bare N).",
};

/** `kill` / `op cancel`, or with `--serve` the webhook server; each module loads only when used. */
const cancelHandler = (): Promise<Handler> =>
  Promise.resolve(async (ctx) =>
    ctx.args.serve
      ? (await import("../serve/server.ts")).serve(ctx)
      : (await import("../commands/cancel.ts")).cancel(ctx)
  );

const STATUS_CHOICES = [
  "P",
  "PENDING",
  "A",
  "ASSIGNED",
  "E",
  "EXECUTING",
  "S",
  "SUCCESS",
  "F",
  "FAILED",
  "C",
  "CANCELLED",
];

/** Options of `ps` and `op list`: one definition, shared. */
export const LIST_OPTIONS: OptionSpec[] = [
  { flags: ["-q", "--quiet"], dest: "quiet", help: "Only show UUIDs, useful for scripting" },
  {
    flags: ["-a", "--all"],
    dest: "all",
    help: "Show operations of every status (default: EXECUTING only)",
  },
  {
    flags: ["--status"],
    dest: "status",
    metavar: "STATUS",
    choices: STATUS_CHOICES,
    help: "Filter by status (default: EXECUTING only, unless -a is used)",
  },
  {
    flags: ["-k", "--kind"],
    dest: "kind",
    metavar: "KIND",
    choices: ["image_import", "instance"],
    help: "Filter by operation kind",
  },
  {
    flags: ["--since"],
    dest: "since",
    metavar: "SINCE",
    parse: timeArg,
    help: "Parse +/- intervals (bare seconds or smhdMy) or ISO/date to UTC datetime.",
  },
  {
    flags: ["--until"],
    dest: "until",
    metavar: "UNTIL",
    parse: timeArg,
    help:
      "Show operations before. Parse +/- intervals (bare seconds or smhdMy) or ISO/date to UTC datetime.",
  },
  {
    flags: ["-M", "--show-max"],
    dest: "show_max",
    metavar: "SHOW_MAX",
    parse: positiveInt,
    default: 1000,
    help: "Show at most this many operations, useful for --all with large history (default: 1000)",
  },
];

const listHandler = () => import("../commands/list.ts").then((m) => m.list);

/** Options of `show` and `op show`. */
export const SHOW_OPTIONS: OptionSpec[] = [
  {
    flags: ["--raw"],
    dest: "raw",
    help:
      "Print each operation's full server payload as JSONL (one JSON object per line) to stdout, verbatim. Skips formatter routing and derived columns; streams cleanly into `jq -c`. Useful for debugging or for fields the table view omits.",
  },
];

const SHOW_POSITIONAL: PositionalSpec = {
  dest: "uuids",
  metavar: "UUID_OR_REF",
  nargs: "+",
  help:
    "Operations to inspect. Accepts UUIDs and session-history references: @ or HEAD for the active branch tip, @N for an absolute history id, @-N or HEAD~N for N steps back, @+N for N steps forward.",
};

const showHandler = () => import("../commands/show.ts").then((m) => m.show);

const opCancel: CommandSpec = {
  name: "cancel",
  aliases: ["kill", "k"],
  usageName: "operation cancel",
  summary: "Cancel one or more operations",
  description:
    "Cancel each given operation. With --all, cancels every active operation (PENDING, ASSIGNED, EXECUTING).",
  epilog:
    "for coding agents: mutating command pass UUIDs to cancel specific operations or --all for everything",
  options: CANCEL_OPTIONS,
  positionals: [CANCEL_POSITIONAL],
  handler: cancelHandler,
};

const opList: CommandSpec = {
  name: "list",
  aliases: ["ls"],
  usageName: "operation list",
  summary: "List operations",
  description: "List operations. ``contree ps`` is an alias of this command.",
  epilog: "for coding agents: read-only command",
  options: LIST_OPTIONS,
  positionals: [],
  handler: listHandler,
};

const opShow: CommandSpec = {
  name: "show",
  aliases: ["sh"],
  usageName: "operation show",
  summary: "Show one or more operation results",
  description:
    "Fetch and display the result of each given operation. Same per-UUID behaviour as `contree show`: terminal results are cached; @N references resolve against session history.",
  epilog:
    "for coding agents: read-only command accepts multiple UUIDs; each rendered as its own row",
  options: SHOW_OPTIONS,
  positionals: [SHOW_POSITIONAL],
  handler: showHandler,
};

const opWait: CommandSpec = {
  name: "wait",
  aliases: ["w"],
  usageName: "operation wait",
  summary: "Wait for operations to reach a terminal status",
  description:
    "Poll the given operations until each reaches a terminal status (SUCCESS, FAILED, CANCELLED) and print one row per completion. With --all, waits for every currently active operation (PENDING, ASSIGNED, EXECUTING).",
  epilog:
    "for coding agents: read-only command (polls the API; no state mutation) fails with exit code 1 if --timeout is hit before all complete exit code 1 also when any operation finished non-SUCCESS",
  options: [
    { flags: ["-a", "--all"], dest: "all", help: "Wait for every active operation" },
    {
      flags: ["-t", "--timeout"],
      dest: "timeout",
      metavar: "TIMEOUT",
      parse: positiveInt,
      default: 60,
      help:
        "Fail with exit code 1 if not all operations reach a terminal status within this many seconds (default: 60)",
    },
  ],
  positionals: [{
    dest: "uuids",
    metavar: "UUID_OR_REF",
    nargs: "*",
    help:
      "Operations to wait for. Accepts UUIDs and session-history references (HEAD, HEAD~N, @, @N, @-N, @+N, :N, bare N).",
  }],
  handler: () => import("../commands/wait.ts").then((m) => m.wait),
};

/** Topics of `contree agent`: `all` plus one per manual section. */
export const AGENT_TOPICS = [
  "all",
  "cancel",
  "exit_codes",
  "formats",
  "list",
  "overview",
  "references",
  "serve",
  "show",
  "wait",
];

const agent: CommandSpec = {
  name: "agent",
  aliases: ["man"],
  usageName: "agent",
  summary: "Show the manual for coding agents",
  description:
    "Show the manual.\n\n`contree agent [TOPIC]` prints the built-in manual.\n`contree man` is an alias.",
  descriptionStyle: "raw",
  epilog: "examples:\n  contree agent\n  contree agent references\n  contree man cancel",
  epilogStyle: "raw",
  options: [],
  positionals: [{
    dest: "topic",
    nargs: "?",
    choices: AGENT_TOPICS,
    default: "all",
    help: "Manual topic (default: all)",
  }],
  handler: () => import("../commands/agent.ts").then((m) => m.agent),
  local: true,
};

const shortcut = { descriptionStyle: "raw", epilogStyle: "raw" } as const;

/** `contree` itself: the global flags, then one command. */
export const ROOT: CommandSpec = {
  name: "contree",
  usageName: "",
  summary: "",
  description:
    "ConTree CLI - command-line client for the ConTree sandbox platform.\n\nThis program implements the operations commands of the original contree CLI: list, show, wait for and cancel operations through the ConTree REST API, with the same flags, config files and session history.",
  epilog: `examples:
  contree ps                         running operations
  contree ps -a -f json              every operation, one JSON object per line
  contree show UUID                  one operation's result
  contree kill UUID1 UUID2           cancel operations
  contree kill HEAD                  cancel the latest operation of this session
  contree kill --all                 cancel every active operation
  contree op wait -t 300 UUID        wait until it finishes
  contree agent                      manual for coding agents

for coding agents (required bootstrap):
  1) read: contree agent
  2) inspect command syntax: contree <command> --help
  3) only then execute task commands

environment variables:
  CONTREE_HOME             Config directory (default: $XDG_CONFIG_HOME/contree)
  CONTREE_PROFILE          Active config profile (overrides the file's default)
  CONTREE_SESSION          Session key for history references (or -S/--session)
  CONTREE_SESSION_DB       Path to session SQLite database
  CONTREE_CONCURRENCY      Requests in flight for bulk commands (default: 8)
  CONTREE_TIMEOUT          Per-request timeout in seconds (default: 30)
  CONTREE_DB_TIMEOUT       Session database busy timeout in seconds (default: 30)
  NO_COLOR / FORCE_COLOR   Disable / force colours`,
  epilogStyle: "raw",
  descriptionStyle: "raw",
  options: [
    {
      flags: ["-v", "--version"],
      dest: "version",
      help: "show program's version number and exit",
      immediate: true,
    },
    {
      flags: ["-p", "--profile"],
      dest: "profile",
      metavar: "PROFILE",
      help: "Use this profile for the current command",
    },
    {
      flags: ["--token"],
      dest: "token",
      metavar: "TOKEN",
      help: "API token (overrides profile for this invocation)",
    },
    {
      flags: ["-u", "--url"],
      dest: "url",
      metavar: "URL",
      help: "API base URL (overrides profile for this invocation)",
    },
    {
      flags: ["-P", "--project"],
      dest: "project",
      metavar: "PROJECT",
      help: "Project ID (overrides profile for this invocation)",
    },
    {
      flags: ["-c", "--config"],
      dest: "config_path",
      metavar: "CONFIG_PATH",
      help: "Config file path (default: <CONTREE_HOME>/auth.ini)",
    },
    {
      flags: ["-L", "--log-level"],
      dest: "log_level",
      metavar: "LEVEL",
      choices: LOG_LEVELS,
      help: "Logging level (default: info)",
    },
    {
      flags: ["-f", "--format"],
      dest: "output_format",
      metavar: "FORMAT",
      choices: FORMAT_NAMES,
      help: "Output format (default: default)",
    },
    {
      flags: ["-S", "--session"],
      dest: "session_key",
      metavar: "SESSION_KEY",
      help: "Session key override (alternative to CONTREE_SESSION)",
    },
  ],
  positionals: [],
  subcommands: {
    dest: "command",
    commands: [
      {
        ...opList,
        ...shortcut,
        name: "ps",
        aliases: [],
        usageName: "ps",
        summary: "List operations (alias for `operation ls`)",
        description: OPERATIONS_DESCRIPTION,
        epilog: OPERATIONS_EPILOG,
      },
      {
        ...opCancel,
        ...shortcut,
        name: "kill",
        aliases: [],
        usageName: "kill",
        summary: "Cancel operations (alias for `operation cancel`)",
        description: OPERATIONS_DESCRIPTION,
        epilog: OPERATIONS_EPILOG,
      },
      {
        ...opShow,
        ...shortcut,
        name: "show",
        aliases: [],
        usageName: "show",
        summary: "Show operation result (alias for `operation show`)",
        description: OPERATIONS_DESCRIPTION,
        epilog: OPERATIONS_EPILOG,
      },
      {
        ...shortcut,
        name: "operation",
        aliases: ["op"],
        usageName: "operation",
        summary: "Manage operations (list/show/cancel/wait)",
        description: OPERATIONS_DESCRIPTION,
        epilog: OPERATIONS_EPILOG,
        options: [],
        positionals: [],
        subcommands: { dest: "operation_action", commands: [opList, opShow, opCancel, opWait] },
      },
      agent,
    ],
  },
};

/** Commands of the original CLI that this program does not implement. */
export const NOT_IMPLEMENTED = [
  "use",
  "ci",
  "run",
  "r",
  "build",
  "bd",
  "images",
  "i",
  "img",
  "tag",
  "t",
  "ls",
  "cat",
  "cp",
  "file",
  "f",
  "session",
  "s",
  "auth",
  "skill",
  "cd",
  "env",
  "shell",
  "sh",
];
