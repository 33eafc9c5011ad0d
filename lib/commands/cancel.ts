// `contree kill` and `contree op cancel` (aliases `op kill`, `op k`): one handler over the
// bulk cancel in lib/ops/cancel.ts.
import { NetworkError } from "../api/errors.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";
import { canonicalUuid } from "../api/uuid.ts";
import { cancelOperations, type CancelOutcome, concurrencyFromEnv } from "../ops/cancel.ts";
import { Interrupted } from "../ops/interrupted.ts";
import { targetUuids } from "./targets.ts";

/** The `kill` / `op cancel` handler. `args.uuids` arrive already resolved to canonical UUIDs. */
export async function cancel(ctx: CommandContext): Promise<number> {
  const uuids = await targetUuids(ctx, "cancel");
  if (typeof uuids === "number") return uuids;

  // What is known so far, for the summary and for a second Ctrl-C that exits at once.
  const outcomes: CancelOutcome[] = [];
  const notCancelled = (notAttempted: readonly string[]) => [
    ...outcomes.filter((o) => o.network || o.interrupted).map((o) => o.uuid),
    ...notAttempted,
  ];
  const undone = () => {
    const done = new Set(outcomes.map((o) => o.uuid));
    return notCancelled(uuids.filter((u) => !done.has(canonicalUuid(u) ?? u)));
  };
  let listed = false;
  const unregister = ctx.onForcedExit?.(() => {
    const left = undone();
    if (!listed && left.length) log.warning(`Not cancelled: ${left.join(" ")}`);
    listed = true;
  });
  try {
    const report = await cancelOperations(ctx.client, uuids, {
      concurrency: concurrencyFromEnv(ctx.io.env),
      signal: ctx.interrupt,
      // A network error that survived the retries ends the command, as in the original.
      shouldStop: (done) => done.some((o) => o.network),
      onOutcome: (o) => {
        outcomes.push(o);
        if (o.status === "cancelled") log.info(`Cancelled operation ${o.uuid}`);
        else if (o.interrupted) log.warning(`Cancel ${o.uuid}: ${o.error}`);
        else if (o.invalid) log.error(`Failed to cancel: ${o.error}`);
        else if (!o.network) log.error(`Failed to cancel ${o.uuid}: ${o.error}`);
      },
    });
    const networkFailure = report.outcomes.find((o) => o.network);
    const stoppedEarly = networkFailure || ctx.interrupt.aborted;
    if (stoppedEarly) {
      const count = (p: (o: CancelOutcome) => boolean) => report.outcomes.filter(p).length;
      const cancelled = count((o) => o.status === "cancelled");
      const unknown = count((o) => Boolean(o.interrupted));
      const failed = report.outcomes.length - cancelled - unknown;
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
    return report.outcomes.some((o) => o.status !== "cancelled") ? 1 : 0;
  } finally {
    unregister?.();
  }
}
