// `contree ps`, `op list`, `op ls`: one handler. Pages come from the concurrent fetcher and are
// streamed out page by page, so memory stays flat however long the listing is.
import { listOperations } from "../api/pages.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";
import { formatterFor } from "../output/cli.ts";
import { concurrencyFromEnv } from "../config/env.ts";
import { Interrupted } from "../ops/interrupted.ts";

/** Single-letter `--status` forms. */
const STATUS_LETTERS: Record<string, string> = {
  P: "PENDING",
  A: "ASSIGNED",
  E: "EXECUTING",
  S: "SUCCESS",
  F: "FAILED",
  C: "CANCELLED",
};

/** `--status` as sent: the full word; `-a` drops the default EXECUTING filter. */
export function statusFilter(status: string | undefined, all: boolean): string | undefined {
  if (status) return STATUS_LETTERS[status] ?? status;
  return all ? undefined : "EXECUTING";
}

/** Arguments of `ps` / `op list`, as the command table parses them. */
export interface ListArgs {
  /** `-q`: UUIDs only. */
  quiet: boolean;
  /** `-a`: every status. */
  all: boolean;
  /** `--status`, a word or its letter. */
  status?: string;
  /** `-k/--kind`. */
  kind?: string;
  /** `--since`, already an ISO-8601 UTC instant. */
  since?: string;
  /** `--until`, already an ISO-8601 UTC instant. */
  until?: string;
  /** `-M/--show-max`. */
  show_max: number;
}

/** The `ps` / `op list` handler. */
export async function list(ctx: CommandContext<ListArgs>): Promise<number> {
  const { args, io } = ctx;
  const showMax = args.show_max;
  const quiet = args.quiet;
  const pages = listOperations(ctx.client, {
    status: statusFilter(args.status, args.all),
    kind: args.kind,
    since: args.since,
    until: args.until,
  }, { limit: showMax, concurrency: concurrencyFromEnv(io.env) });
  const formatter = formatterFor(ctx.globals.output_format, io, { tail: ["error"] });
  let printed = 0;
  let truncated = false;
  let uuids = ""; // -q output of the current page
  try {
    for await (const page of pages) {
      for (const op of page) {
        if (printed === showMax) {
          truncated = true;
          break;
        }
        printed++;
        if (quiet) uuids += `${op.uuid}\n`;
        else formatter.emit(op);
      }
      if (uuids) io.stdout.write(uuids);
      uuids = "";
      formatter.flush();
      if (truncated) break;
      if (ctx.interrupt.aborted) throw new Interrupted();
    }
  } finally {
    formatter.close();
  }
  if (truncated) {
    log.warning(
      `Output truncated at --show-max=${showMax} operations; more results are available. Raise --show-max or filter with --status/--kind/--since/--until.`,
    );
  }
  return 0;
}
