// The command table: the single source of parsing, help screens and dispatch.
import { LOG_LEVELS } from "../log/levels.ts";
import { FORMAT_NAMES } from "../output/names.ts";
import type { CommandSpec, HelpEntry, OptionSpec, PositionalSpec } from "./spec.ts";
import { ArgError, command, mode, positiveInt } from "./spec.ts";
import { durationArg, timeArg } from "./times.ts";

/**
 * Modules a handler loads through a computed specifier, as paths from the project root. Before a
 * program starts, Deno reads and analyses every module that a literal `import()` names, run or not:
 * for the webhook server that is about 40 files and Hono, some 3 ms on every command. These are
 * therefore loaded by a computed URL, which Deno resolves only when the import runs; `deno
 * compile` is told to embed each with `--include` (the `compile:*` tasks of deno.json).
 */
export const UNLISTED_MODULES: readonly string[] = ["lib/serve/server.ts"];

/** The operation kinds `-k/--kind` accepts (kill/op cancel with --all, ps/op list). */
const KIND_CHOICES = ["image_import", "instance"];

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
export const CANCEL_OPTIONS = [
  { flags: ["-a", "--all"], dest: "all", help: "Cancel every active operation" },
  // Added by this program (decision 26): a preview, the prompt's switch, and --all's filters.
  {
    flags: ["--dry-run"],
    dest: "dry_run",
    help:
      "List the operations that would be cancelled (uuid, kind, status, created_at) and cancel nothing",
  },
  {
    flags: ["-y", "--yes"],
    dest: "yes",
    help: "Do not ask before cancelling with --all on a terminal",
  },
  {
    flags: ["-k", "--kind"],
    dest: "kind",
    metavar: "KIND",
    choices: KIND_CHOICES,
    help: "With --all: only operations of this kind",
  },
  {
    flags: ["--status"],
    dest: "status",
    metavar: "STATUS",
    choices: ["P", "PENDING", "A", "ASSIGNED", "E", "EXECUTING"],
    help: "With --all: only operations in this active status",
  },
  {
    flags: ["--since"],
    dest: "since",
    metavar: "SINCE",
    parse: timeArg,
    help: "With --all: only operations created since (as ps --since)",
  },
  {
    flags: ["--until"],
    dest: "until",
    metavar: "UNTIL",
    parse: timeArg,
    help: "With --all: only operations created before (as ps --until)",
  },
  {
    flags: ["--older-than"],
    dest: "older_than",
    metavar: "DURATION",
    parse: durationArg,
    help: "With --all: only operations older than this (30m, 2h, 1d; --until shorthand)",
  },
] as const satisfies readonly OptionSpec[];

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

const CANCEL_POSITIONALS = [{
  dest: "uuids",
  metavar: "UUID_OR_REF",
  nargs: "*",
  references: true,
  help:
    "Operations to cancel. Accepts UUIDs and session-history references (HEAD, HEAD~N, @, @N, @-N, @+N, :N, bare N).",
}] as const satisfies readonly PositionalSpec[];

// ---------------------------------------------------------------------------------------------
// `kill --serve` / `op cancel --serve`: the webhook server. Everything about its command line is
// declared here, once; `kill --serve --help` is generated from it and `kill --help` never shows
// it. To add a serve-only flag, append one entry to SERVE_OPTIONS (say its default in `help`);
// the handler (lib/serve/server.ts) then receives it typed in `ctx.args`. To document a new
// environment variable, append one `{ name, help }` entry to SERVE_ENV.
// ---------------------------------------------------------------------------------------------

/** The flags of `--serve` (its switch first). */
export const SERVE_OPTIONS = [
  {
    flags: ["--serve"],
    dest: "serve",
    help: "Run the webhook server instead of cancelling UUIDs",
  },
  {
    flags: ["--hostname"],
    dest: "hostname",
    metavar: "HOST",
    default: "127.0.0.1",
    help: "Address to listen on (default: 127.0.0.1)",
  },
  {
    flags: ["--port"],
    dest: "port",
    metavar: "PORT",
    parse: portNumber,
    default: 8787,
    help:
      "Port to listen on; 0 picks a free one (default: 8787). The chosen address is logged on stderr at start.",
  },
  {
    flags: ["--state"],
    dest: "state",
    metavar: "FILE",
    help:
      "SQLite file that keeps answered deliveries, so a retried delivery is not acted on again after a restart (default: in memory only)",
  },
  {
    flags: ["--deadline"],
    dest: "deadline",
    metavar: "SECONDS",
    parse: positiveSeconds,
    default: 10,
    help: "Answer 202 and finish in the background when the cancels take longer (default: 10)",
  },
  {
    flags: ["--trust-proxy"],
    dest: "trustProxy",
    metavar: "CIDR[,CIDR]",
    help:
      "Take the client address (rate limit, logs) from X-Forwarded-For when the connection comes from these networks (default: never)",
  },
] as const satisfies readonly OptionSpec[];

/** The environment variables `--serve` reads, as its help lists them. */
export const SERVE_ENV: readonly HelpEntry[] = [
  {
    name: "CONTREE_WEBHOOK_SECRET",
    help:
      "Signing secrets, space-separated (required) unless another sender's secret below is set: whsec_<base64> for Standard Webhooks, any other value (16 bytes or more) is a GitHub secret",
  },
  {
    name: "CONTREE_SLACK_SIGNING_SECRET",
    help: "Slack app signing secret(s), space-separated: enables Slack slash commands",
  },
  {
    name: "CONTREE_WEBHOOK_BEARER",
    help: "Bearer token (16 bytes or more) of Alertmanager and Grafana deliveries: enables alerts",
  },
  {
    name: "CONTREE_GRAFANA_SECRET",
    help: "Grafana HMAC signature secret(s), space-separated (X-Grafana-Alerting-Signature)",
  },
  { name: "CONTREE_WEBHOOK_READ_TOKEN", help: "Bearer token for GET /v1/cancel/{id}" },
  {
    name: "<VARIABLE>_FILE",
    help:
      "Each secret variable above may instead name a file holding it (CONTREE_WEBHOOK_SECRET_FILE, ...)",
  },
  {
    name: "CONTREE_SLACK_RESPONSE_URL_PREFIX",
    help:
      "Only Slack response_urls under this prefix are POSTed to (default: https://hooks.slack.com/)",
  },
  {
    name: "CONTREE_WEBHOOK_RATE",
    help:
      "Requests per second per source on /v1/* (default: 10, burst twice that; 0 turns the limit off)",
  },
  {
    name: "CONTREE_WEBHOOK_UPSTREAM",
    help: "API requests in flight, all deliveries (default: 32)",
  },
  {
    name: "CONTREE_WEBHOOK_GRACE",
    help: "Seconds to finish in-flight cancels on SIGINT or SIGTERM (default: 30)",
  },
  { name: "CONTREE_CONCURRENCY", help: "DELETEs in flight for one delivery (default: 8)" },
  {
    name: "CONTREE_WEBHOOK_RETRY_FOR",
    help:
      "Seconds a delivery answered 202 is retried in the background, from its arrival (default: 3600)",
  },
  {
    name: "CONTREE_WEBHOOK_STORE_BYTES",
    help: "Bytes of delivery records kept; the oldest finished ones go first (default: 67108864)",
  },
  {
    name: "CONTREE_WEBHOOK_HEADER_TIMEOUT",
    help:
      "Seconds a connection has to send a complete request head, else it is closed (default: 10)",
  },
  {
    name: "CONTREE_WEBHOOK_IDLE_TIMEOUT",
    help: "Seconds a kept-alive connection may stay idle after a response (default: 5)",
  },
  {
    name: "CONTREE_WEBHOOK_REQUEST_TIMEOUT",
    help:
      "Seconds from a request head to the end of its response (default: 60, or --deadline + 10)",
  },
  {
    name: "CONTREE_WEBHOOK_MAX_CONNECTIONS",
    help:
      "Open connections at most; at the cap the oldest one without a request in flight is closed (default: 10000, lowered by itself below the open-files limit when that is reached first)",
  },
];

/** The HTTP endpoints of `--serve`, as its help lists them. */
export const SERVE_ENDPOINTS: readonly HelpEntry[] = [
  {
    name: "POST /v1/cancel",
    help:
      '{"uuids": ["<uuid>", ...]} or {"all": true, "kind": "instance"} signed with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) or GitHub (X-Hub-Signature-256, X-GitHub-Delivery); Content-Type: application/json. The sender is recognised by its headers:',
  },
  {
    name: "  GitHub",
    help:
      "X-GitHub-Event: ping answers pong, repository_dispatch with client_payload {uuids|all|kind} cancels, other events are ignored (202); JSON or form (payload=)",
  },
  {
    name: "  Slack",
    help:
      "X-Slack-Signature: slash command text 'UUID...' or 'all [kind]', answered with an ephemeral message; a slow cancel's result goes to response_url",
  },
  {
    name: "  Alertmanager",
    help:
      "Authorization: Bearer $CONTREE_WEBHOOK_BEARER (Grafana too, or X-Grafana-Alerting-Signature): firing alerts labelled contree_uuid=<uuid> or contree_cancel=all [contree_kind=<kind>]",
  },
  {
    name: "GET  /v1/cancel/{id}",
    help:
      "result of a delivery (signed over its path, or Authorization: Bearer $CONTREE_WEBHOOK_READ_TOKEN)",
  },
  { name: "GET  /healthz", help: "liveness, no auth" },
  {
    name: "GET  /readyz",
    help: "200 when the API answers (checked at most every 5 s) and the store takes writes",
  },
  { name: "GET  /metrics", help: "Prometheus text" },
];

/** The `--serve` mode of a cancel command named `usageName` (`kill`, `operation cancel`). */
function serveMode(usageName: string): CommandSpec {
  return mode({ options: CANCEL_OPTIONS, positionals: CANCEL_POSITIONALS }, {
    name: "serve",
    usageName: `${usageName} --serve`,
    summary: "Run the webhook server",
    description:
      `Run a webhook server that cancels operations when a signed request arrives. It uses the same cancel code, profile, token and URL as \`contree ${usageName}\`.`,
    modeSwitch: "serve",
    options: SERVE_OPTIONS,
    sections: [
      { title: "endpoints", entries: SERVE_ENDPOINTS },
      { title: "environment variables", entries: SERVE_ENV },
    ],
    epilog: "Access logs are JSON lines on stderr, one per request (-L warning hides them).",
    // The server is loaded only when it runs, through a specifier Deno cannot read ahead: see
    // UNLISTED_MODULES.
    handler: () =>
      (import(new URL("../serve/server.ts", import.meta.url).href) as Promise<
        typeof import("../serve/server.ts")
      >).then((m) => m.serve),
    ownsSignals: true,
  });
}

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
export const LIST_OPTIONS = [
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
    choices: KIND_CHOICES,
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
] as const satisfies readonly OptionSpec[];

/** Options of `show` and `op show`. */
export const SHOW_OPTIONS = [
  {
    flags: ["--raw"],
    dest: "raw",
    help:
      "Print each operation's full server payload as JSONL (one JSON object per line) to stdout, verbatim. Skips formatter routing and derived columns; streams cleanly into `jq -c`. Useful for debugging or for fields the table view omits.",
  },
] as const satisfies readonly OptionSpec[];

const SHOW_POSITIONALS = [{
  dest: "uuids",
  metavar: "UUID_OR_REF",
  nargs: "+",
  help:
    "Operations to inspect. Accepts UUIDs and session-history references: @ or HEAD for the active branch tip, @N for an absolute history id, @-N or HEAD~N for N steps back, @+N for N steps forward.",
  references: true,
}] as const satisfies readonly PositionalSpec[];

const opCancel = command({
  name: "cancel",
  aliases: ["kill", "k"],
  usageName: "operation cancel",
  summary: "Cancel one or more operations",
  description:
    "Cancel each given operation. With --all, cancels every active operation (PENDING, ASSIGNED, EXECUTING).",
  epilog:
    "for coding agents: mutating command pass UUIDs to cancel specific operations or --all for everything",
  options: CANCEL_OPTIONS,
  positionals: CANCEL_POSITIONALS,
  modes: [serveMode("operation cancel")],
  handler: () => import("../commands/cancel.ts").then((m) => m.cancel),
});

const opList = command({
  name: "list",
  aliases: ["ls"],
  usageName: "operation list",
  summary: "List operations",
  description: "List operations. ``contree ps`` is an alias of this command.",
  epilog: "for coding agents: read-only command",
  options: LIST_OPTIONS,
  positionals: [],
  handler: () => import("../commands/list.ts").then((m) => m.list),
});

const opShow = command({
  name: "show",
  aliases: ["sh"],
  usageName: "operation show",
  summary: "Show one or more operation results",
  description:
    "Fetch and display the result of each given operation. Same per-UUID behaviour as `contree show`: terminal results are cached; @N references resolve against session history.",
  epilog:
    "for coding agents: read-only command accepts multiple UUIDs; each rendered as its own row",
  options: SHOW_OPTIONS,
  positionals: SHOW_POSITIONALS,
  handler: () => import("../commands/show.ts").then((m) => m.show),
});

const opWait = command({
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
    references: true,
  }],
  handler: () => import("../commands/wait.ts").then((m) => m.wait),
});

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

const agent = command({
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
});

/** `contree completions SHELL`: a completion script generated from this table. */
const completions = command({
  name: "completions",
  usageName: "completions",
  summary: "Print a shell completion script (bash, zsh, fish)",
  description:
    "Print the completion script for SHELL on stdout: commands, aliases, flags, format names and status letters, generated from this program's command table. See README (Shell completions) for where to put it.",
  epilog:
    "examples:\n  contree completions bash > ~/.local/share/bash-completion/completions/contree\n  contree completions zsh > ~/.zfunc/_contree\n  contree completions fish > ~/.config/fish/completions/contree.fish",
  epilogStyle: "raw",
  options: [],
  positionals: [{
    dest: "shell",
    metavar: "SHELL",
    nargs: "?",
    choices: ["bash", "zsh", "fish"],
    help: "bash, zsh or fish",
  }],
  handler: () => import("../commands/completions.ts").then((m) => m.completions),
  local: true,
});

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
  CONTREE_URL              API base URL (flag -u > this > profile; no auth.ini needed)
  CONTREE_TOKEN            API token (flag --token > this > profile)
  CONTREE_TOKEN_FILE       File holding the API token (a mounted secret)
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
        modes: [serveMode("kill")],
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
      completions,
    ],
    unknown: (word) =>
      NOT_IMPLEMENTED.includes(word)
        ? `'${word}' is a command of the original contree CLI that this program does not implement (available: ps, kill, show, operation, agent, completions)`
        : undefined,
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
