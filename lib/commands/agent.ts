// `contree agent [TOPIC]` (alias `man`): the manual for coding agents, printed to stdout. Local:
// no profile, no HTTP.
import type { CommandContext } from "../cli/spec.ts";
import { formatterFor } from "../output/cli.ts";

/** One section of the manual; `topic` is its `contree agent TOPIC` key. */
export interface ManualSection {
  /** The `contree agent TOPIC` key. */
  topic: string;
  /** The section heading. */
  title: string;
  /** The section text. */
  body: string;
}

/** The manual's title line. */
export const MANUAL_TITLE = "contree Manual for Coding Agents";

/** The manual, in reading order. */
export const MANUAL: readonly ManualSection[] = [
  {
    topic: "overview",
    title: "Overview",
    body: `contree manages ConTree sandbox operations through the ConTree REST API. Every
command here works on operations (a sandbox run, kind "instance", or an image import, kind
"image_import"). Statuses: PENDING, ASSIGNED, EXECUTING are active; SUCCESS, FAILED,
CANCELLED are terminal and never change again.

Read-only (safe to run at any time):
  contree ps / contree op list / op ls      list operations
  contree show / contree op show / op sh    show one or more operations
  contree op wait / op w                    poll until operations finish
  contree agent / contree man               this manual (no network)

Mutating (changes remote state, cannot be undone):
  contree kill / contree op cancel / op kill / op k    cancel operations
  contree kill --serve                                  a webhook server that cancels

Global flags go BEFORE the command: contree -f json -p staging ps -a
  -f FORMAT   output format (default, table, plain, json, json-pretty, csv, tsv, toml)
  -p PROFILE  profile from auth.ini;  -u URL / --token / -P PROJECT override it
  -S KEY      session for history references;  -L LEVEL  log level (default info)

stdout carries only data (rows, UUIDs); every log line goes to stderr as "[LEVEL] message".
Use "contree COMMAND --help" for the exact flags of a command.`,
  },
  {
    topic: "list",
    title: "Listing operations: ps, op list, op ls",
    body: `contree ps [-q] [-a] [--status S] [-k KIND] [--since T] [--until T] [-M N]

Plain "contree ps" shows EXECUTING operations only. PENDING and ASSIGNED ones are hidden
until you pass -a (every status) or --status.
  --status S     PENDING/P, ASSIGNED/A, EXECUTING/E, SUCCESS/S, FAILED/F, CANCELLED/C
  -k KIND        image_import or instance
  --since T      created at or after T;  --until T  created at or before T. T is an
                 interval back from now (90, 30m, 1h30m, 2d, 1M = 30 days, 1y) or a UTC
                 date (2025, 2025-06-01, 2025-06-01T10:00, 20250601) or a time today (14:30).
                 Any number of 4+ digits is a year: use 3600s, not 3600.
  -q             UUIDs only, one per line (ignores -f)
  -M N           print at most N rows (default 1000). When more exist a WARNING on stderr
                 says "Output truncated at --show-max=N"; raise -M or narrow the filters.
Newest first, as the server orders them. No results: no output at all, exit 0.`,
  },
  {
    topic: "show",
    title: "Showing operations: show, op show, op sh",
    body: `contree show UUID_OR_REF [UUID_OR_REF ...] [--raw]

One row per operation with every top-level field the server sends (new fields appear
automatically), plus exit_code (the sandbox process's exit code, metadata.result.state),
image and tag (from result), error last. With -f default the sandbox's decoded stdout is
printed after the row on stdout and its stderr on stderr; with -f json or json-pretty they
are string fields "stdout" and "stderr" of the row instead, so the output stays valid JSON.
--raw prints each server payload as one JSON line, nested objects included, no derived
fields (-f ignored).

An operation that cannot be fetched (404, ...) is logged as "Failed to fetch UUID: ..." and
the others are still shown; exit 1 at the end. The operation's own status or exit code
never changes show's exit status. Terminal results are cached in the session database, so
showing a finished operation again makes no request.`,
  },
  {
    topic: "wait",
    title: "Waiting for operations: op wait, op w",
    body: `contree op wait UUID_OR_REF [...] [-t SECONDS]     or     contree op wait --all

A pure observer: polls each operation (back-off 0.5, 1, 2, 4, then every 5 s) until it is
SUCCESS, FAILED or CANCELLED, and prints one row as each finishes, columns uuid, status,
exit_code, timed_out, duration first and error last. status is the platform's verdict; a
SUCCESS operation can still carry a non-zero exit_code from the sandbox process.
  -t SECONDS   give up after this long (default 60). Unfinished operations then get a row
               with timed_out true (and no exit_code), a WARNING "Timeout: N operation(s)
               did not finish in Ts" is logged, and the exit status is at least 1.
  -a, --all    every operation that is active right now, project-wide.
Exit status: 0 if all finished SUCCESS with exit code 0; otherwise the highest sandbox exit
code seen (negative codes ignored, capped at 255), at least 1 when any finished
non-SUCCESS or timed out. An API error while polling ends the command (exit 1).
op wait never cancels anything and does not use the show cache.`,
  },
  {
    topic: "cancel",
    title: "Cancelling operations: kill, op cancel (MUTATING)",
    body: `contree kill UUID_OR_REF [...]      contree kill --all      (= op cancel, op kill, op k)

Sends DELETE /v1/operations/UUID for each operation. Logs "Cancelled operation UUID" or
"Failed to cancel UUID: API 409 Conflict: ..." per operation (an operation that already
finished answers 409, an unknown one 404) and carries on with the rest; exit 1 if any
failed. --all cancels every PENDING, ASSIGNED and EXECUTING operation of the project, not
only yours: list first (contree ps -a) and prefer explicit UUIDs. Nothing is written to
stdout with the default format. Ctrl-C stops issuing new cancellations, logs which were
not cancelled, exit 130.

Safety and scripting: --dry-run prints the targets (uuid, kind, status, created_at) and
sends no DELETE. --all takes filters, as ps: -k/--kind, --status P|A|E, --since, --until,
--older-than 2h (filters without --all: exit 2). On a terminal --all asks "[y/N]" first;
-y/--yes skips it (scripts are never asked). "-" reads UUIDs from stdin (also show -, op
wait -): contree -f json ps -a -k instance | jq -r .uuid | contree kill -. With -f json
(or any format but default) stdout gets one row per operation: uuid, outcome (cancelled,
not_found, already_finished, failed, in_flight, not_attempted), error.`,
  },
  {
    topic: "references",
    title: "Operation references (UUID_OR_REF)",
    body: `Every UUID_OR_REF argument (show, kill, op show, op cancel, op wait) takes a UUID in any
usual form (upper case, braces, urn:uuid:, no hyphens; it is sent lower-case hyphenated)
or a reference into the session history of the original contree CLI:
  @  :  HEAD          the latest operation on the session's active branch tip
  @N  :N  N           history entry N (absolute id)
  @-N  :-N  HEAD~N    N entries back (HEAD~ = HEAD~1)
  @+N  :+N            N entries forward (the latest child)
The session is -S KEY, else CONTREE_SESSION, else the key the original derives for this
shell (<directory name>+<8 hex>). One argument may hold several whitespace-separated tokens.
Every invalid token is reported in one line ("Invalid operation references: abc def") and
nothing is sent (exit 1). @0 and HEAD~0 are rejected ("non-zero").
Examples: contree show HEAD;  contree show HEAD~ HEAD~2;  contree kill @5`,
  },
  {
    topic: "formats",
    title: "Output formats and JSON recipes",
    body: `-f default/table   aligned columns; the first rows fix the columns and widths, later
                   values may be cut with "...". For people, not for parsing.
-f plain           "key: value" blocks separated by "---".
-f json            one JSON object per line (JSONL). Best for scripts.
-f json-pretty     one JSON array, indented.
-f csv / -f tsv    header line, then one line per row (CRLF), aligned to the header.
-f toml            [[results]] tables.
Rows hold every scalar field; nested objects (metadata, result) are dropped (use
show --raw). In JSON, created_at/updated_at are UTC ISO-8601 with +00:00 and duration is
seconds as a float; human formats show local time and 1m15s-style durations.

Recipes (jq):
  contree -f json ps -a --status FAILED --since 1d | jq -r .uuid
  contree -f json show "$ID" | jq -r '.status, .exit_code'
  contree -f json show "$ID" | jq -r .stdout          # the sandbox's output, decoded
  contree show --raw "$ID" | jq .metadata.result.state
  contree -f json op wait -t 600 "$ID" | jq -c '{uuid, status, exit_code, timed_out}'
  contree ps -q | xargs -r contree show
  contree -f csv ps -a -M 5000 > operations.csv`,
  },
  {
    topic: "exit_codes",
    title: "Exit codes",
    body: `0     success
1     an API or network error, a failed fetch/cancel for some UUID, an invalid reference,
      a configuration problem, malformed data from the server; op wait: an operation
      finished non-SUCCESS or the timeout passed; kill --all answered "no" at the prompt
N     op wait: the highest non-zero sandbox exit code among finished operations
2     usage error (unknown flag, bad value such as --timeout 0 or --since 86400), with
      usage and "contree CMD: error: ..." on stderr; kill filters without --all
130   interrupted with Ctrl-C ("[ERROR] User interrupted")
Network failures and 5xx answers are retried (1, 2, 4, 5, 10, 10, 10 s, a WARNING before
each); 4xx answers are not.`,
  },
  {
    topic: "serve",
    title: "Webhook server: kill --serve (MUTATING)",
    body:
      `contree kill --serve [--hostname H] [--port P] runs an HTTP server that cancels operations
when a signed webhook arrives: POST /v1/cancel with {"uuids": [...]} or {"all": true},
signed with a Standard Webhooks or GitHub-style HMAC signature using the secret(s) in
CONTREE_WEBHOOK_SECRET. It uses the same cancel code and profile as contree kill, answers
with every operation's outcome, ignores replayed deliveries, and rejects unsigned, stale,
oversized or too-frequent requests. It cancels for real: only run it when asked to.`,
  },
];

/** Sections selected by a topic (`all`: every one). */
export function manualSections(topic = "all"): ManualSection[] {
  return topic === "all" ? [...MANUAL] : MANUAL.filter((s) => s.topic === topic);
}

/** Arguments of `agent`, as the command table parses them. */
export interface AgentArgs {
  /** A section's topic, or `all`. */
  topic: string;
}

/** The manual as text: title, `=` rule, then each section's title, `-` rule and body. */
export function renderManual(topic = "all"): string {
  const parts = [MANUAL_TITLE, "=".repeat(MANUAL_TITLE.length)];
  for (const s of manualSections(topic)) {
    parts.push("", s.title, "-".repeat(s.title.length), s.body);
  }
  return parts.join("\n") + "\n";
}

/** The `agent` / `man` handler. */
export function agent(ctx: CommandContext<AgentArgs>): Promise<number> {
  const topic = ctx.args.topic;
  const format = ctx.globals.output_format;
  if (format === "default") {
    ctx.io.stdout.write(renderManual(topic));
    return Promise.resolve(0);
  }
  const sections = manualSections(topic);
  const formatter = formatterFor(format, ctx.io);
  sections.forEach((s, i) =>
    formatter.emit({
      command: "agent",
      topic,
      section: s.title,
      text: s.body,
      section_index: i + 1,
      section_count: sections.length,
    })
  );
  formatter.close();
  return Promise.resolve(0);
}
