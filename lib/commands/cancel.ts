// `contree kill` and `contree op cancel` (aliases `op kill`, `op k`): one handler over the
// bulk cancel in lib/ops/cancel.ts.
import { NetworkError } from "../api/errors.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";
import { concurrencyFromEnv } from "../config/env.ts";
import { cancelOperations, type CancelOutcome } from "../ops/cancel.ts";
import { distinctUuids } from "../ops/distinct.ts";
import { Interrupted } from "../ops/interrupted.ts";
import type { Operation } from "../api/operations.ts";
import { canPrompt, confirm } from "../cli/confirm.ts";
import {
  activeFilters,
  type FilterArgs,
  hasFilters,
  listTargets,
  listTargetUuids,
} from "../ops/filters.ts";
import { summaryLine } from "../output/progress.ts";
import {
  countOutcome,
  dryRun,
  kindsText,
  outcomeName,
  progressFor,
  ResultRows,
} from "./cancel_view.ts";
import { type TargetArgs, targetUuids } from "./targets.ts";

/** Arguments of `kill` / `op cancel`, as the command table parses them. */
export type CancelArgs = TargetArgs & FilterArgs & {
  /** `--dry-run`: list the targets, cancel nothing. */
  dry_run: boolean;
  /** `-y/--yes`: no prompt on a terminal. */
  yes: boolean;
};

/** The `kill` / `op cancel` handler. `args.uuids` arrive already resolved to canonical UUIDs. */
export async function cancel(ctx: CommandContext<CancelArgs>): Promise<number> {
  const { args, io } = ctx;
  const format = ctx.globals.output_format;
  const filters = activeFilters(args);
  if (hasFilters(filters) && !args.all) {
    log.error(
      "--kind, --status, --since, --until and --older-than choose among active operations: use them with --all",
    );
    return 2;
  }
  // The listed operations are kept only for what shows them (--dry-run rows, the prompt's
  // kinds); otherwise only their UUIDs are, and each page is garbage once read.
  const asks = args.all && !args.yes && canPrompt(io);
  let active: Operation[] | undefined;
  const uuids = await targetUuids(ctx, "cancel", async (signal) => {
    const listOpts = { signal, concurrency: concurrencyFromEnv(io.env) };
    if (!args.dry_run && !asks) return await listTargetUuids(ctx.client, filters, listOpts);
    active = await listTargets(ctx.client, filters, listOpts);
    return distinctUuids(active.map((op) => op.uuid));
  });
  if (typeof uuids === "number") return uuids;
  if (args.dry_run) return dryRun(ctx, uuids, active);
  if (asks) {
    const n = uuids.length;
    const question = `Cancel ${n.toLocaleString("en-US")} active operation${
      n === 1 ? "" : "s"
    } (kinds: ${kindsText(active ?? [])})? [y/N] `;
    const yes = await confirm(io, question, ctx.interrupt);
    if (ctx.interrupt.aborted) throw new Interrupted();
    if (!yes) {
      log.warning("Not confirmed: nothing cancelled");
      return 1;
    }
  }
  // Results as data with an explicit -f (stdout stays empty otherwise); on a terminal, a
  // progress line instead of one line per operation.
  const results = new ResultRows(io, ctx.globals.format_given ? format : "default");
  const progress = progressFor(io, format, uuids.length);
  const counts = { done: 0, cancelled: 0, alreadyFinished: 0, notFound: 0, failed: 0 };

  // What is known so far, for the summary and for a second Ctrl-C that exits at once: counters
  // and the few UUIDs whose DELETE got no answer, never one record per operation.
  let attempted = 0;
  let cancelled = 0;
  let unknown = 0;
  let anyFailed = false;
  let networkFailure: CancelOutcome | undefined;
  const unanswered: string[] = []; // network failures and DELETEs cut by Ctrl-C
  const notCancelled = (notAttempted: readonly string[]) => [...unanswered, ...notAttempted];
  // Outcomes arrive in the order of `uuids` (distinct, so attempted as they are): the first
  // `attempted` are done.
  const undone = () => notCancelled(uuids.slice(attempted));
  let listed = false;
  const unregister = ctx.onForcedExit?.(() => {
    progress?.clear();
    const left = undone();
    if (!listed && left.length) log.warning(`Not cancelled: ${left.join(" ")}`);
    listed = true;
  });
  try {
    const report = await cancelOperations(ctx.client, uuids, {
      distinct: true, // from targetUuids: canonical, each operation once
      concurrency: concurrencyFromEnv(io.env),
      signal: ctx.interrupt,
      keepOutcomes: false,
      // A network error that survived the retries ends the command, as in the original.
      stopAfter: (o) => Boolean(o.network),
      onOutcome: (o) => {
        attempted++;
        if (o.status === "cancelled") cancelled++;
        else anyFailed = true;
        if (o.interrupted) unknown++;
        if (o.network || o.interrupted) unanswered.push(o.uuid);
        if (o.network) networkFailure ??= o;
        results.add(o.uuid, outcomeName(o), o.error);
        countOutcome(counts, o);
        if (o.status !== "cancelled") progress?.clear();
        if (o.status === "cancelled") {
          if (!progress) log.info(`Cancelled operation ${o.uuid}`);
        } else if (o.interrupted) log.warning(`Cancel ${o.uuid}: ${o.error}`);
        else if (o.invalid) log.error(`Failed to cancel: ${o.error}`);
        else if (!o.network) log.error(`Failed to cancel ${o.uuid}: ${o.error}`);
        progress?.update(counts);
      },
    });
    for (const uuid of report.notAttempted) results.add(uuid, "not_attempted");
    results.close();
    if (progress) {
      progress.clear();
      log.info(summaryLine(counts, uuids.length, progress.elapsed()));
    }
    const stoppedEarly = networkFailure || ctx.interrupt.aborted;
    if (stoppedEarly) {
      const failed = attempted - cancelled - unknown;
      const left = notCancelled(report.notAttempted);
      log.warning(
        `Stopped early: ${cancelled} cancelled, ${failed} failed, ${
          unknown ? `${unknown} unknown (in flight when interrupted), ` : ""
        }${report.notAttempted.length} not attempted`,
      );
      if (left.length && !listed) log.warning(`Not cancelled: ${left.join(" ")}`);
      listed = true;
      if (networkFailure) throw new NetworkError(networkFailure.error!, "NetworkError");
      throw new Interrupted();
    }
    return anyFailed ? 1 : 0;
  } finally {
    results.close();
    progress?.clear();
    unregister?.();
  }
}
