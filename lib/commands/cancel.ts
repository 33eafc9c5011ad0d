// `contree kill` and `contree op cancel` (aliases `op kill`, `op k`): one handler over the
// bulk cancel in lib/ops/cancel.ts.
import { NetworkError } from "../api/errors.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";
import { cancelOperations, concurrencyFromEnv } from "../ops/cancel.ts";
import { Interrupted } from "../ops/interrupted.ts";
import { targetUuids } from "./targets.ts";

/** The `kill` / `op cancel` handler. `args.uuids` arrive already resolved to canonical UUIDs. */
export async function cancel(ctx: CommandContext): Promise<number> {
  const uuids = await targetUuids(ctx, "cancel");
  if (typeof uuids === "number") return uuids;

  const report = await cancelOperations(ctx.client, uuids, {
    concurrency: concurrencyFromEnv(ctx.io.env),
    // A network error that survived the retries ends the command, as in the original.
    shouldStop: (outcomes) => ctx.interrupt.aborted || outcomes.some((o) => o.network),
    onOutcome: (o) => {
      if (o.status === "cancelled") log.info(`Cancelled operation ${o.uuid}`);
      else if (!o.network) log.error(`Failed to cancel ${o.uuid}: ${o.error}`);
    },
  });
  const networkFailure = report.outcomes.find((o) => o.network);
  const stoppedEarly = networkFailure || ctx.interrupt.aborted;
  if (stoppedEarly) {
    const cancelled = report.outcomes.filter((o) => o.status === "cancelled").length;
    const failed = report.outcomes.length - cancelled;
    const left = [
      ...report.outcomes.filter((o) => o.network).map((o) => o.uuid),
      ...report.notAttempted,
    ];
    log.warning(
      `Stopped early: ${cancelled} cancelled, ${failed} failed, ${report.notAttempted.length} not attempted`,
    );
    if (left.length) log.warning(`Not cancelled: ${left.join(" ")}`);
    if (networkFailure) throw new NetworkError(networkFailure.error!, "NetworkError");
    throw new Interrupted();
  }
  return report.outcomes.some((o) => o.status !== "cancelled") ? 1 : 0;
}
