import { listActiveUuids } from "../ops/active.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";

/**
 * The operations a bulk command (`kill`, `op wait`) acts on: the resolved UUIDs, or with `--all`
 * every active one (explicit UUIDs then ignored with a warning). Returns an exit status instead
 * when there is nothing to do, after logging the original's line for it.
 * `verb` fills the original's wording: "cancel" or "wait for".
 */
export async function targetUuids(
  ctx: CommandContext,
  verb: "cancel" | "wait for",
): Promise<string[] | number> {
  const explicit = ctx.args.uuids as string[];
  if (!ctx.args.all) {
    if (explicit.length) return explicit;
    log.error("Provide at least one UUID, or use --all");
    return 1;
  }
  const doing = verb === "cancel" ? "cancelling" : "waiting for";
  if (explicit.length) log.warning(`--all overrides explicit UUIDs; ${doing} all active`);
  const uuids = await listActiveUuids(ctx.client);
  if (uuids.length) return uuids;
  log.info(`No active operations to ${verb}`);
  return 0;
}
