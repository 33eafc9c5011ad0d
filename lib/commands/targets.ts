import { listActiveUuids } from "../ops/active.ts";
import { type DistinctUuids, distinctUuids } from "../ops/distinct.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";

/**
 * Explicit UUIDs canonical and each once, first spelling's position kept; a WARNING names each
 * operation given more than once (in any spelling, or as a reference and its UUID).
 *
 * @example
 * ```ts
 * explicitUuids(["019E3FB6-E2D8-7350-A8F9-8B2B5EBFDA7F", "019e3fb6e2d87350a8f98b2b5ebfda7f"]);
 * // ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"], after one WARNING
 * ```
 */
export function explicitUuids(uuids: readonly string[]): DistinctUuids {
  const warned = new Set<string>();
  return distinctUuids(uuids, (uuid) => {
    if (warned.has(uuid)) return;
    warned.add(uuid);
    log.warning(`Operation ${uuid} given more than once; acting on it once`);
  });
}

/** What a bulk command (`kill`, `op wait`) is told to act on. */
export interface TargetArgs {
  /** `-a/--all`: every active operation. */
  all: boolean;
  /** The operations named, already resolved from references to UUIDs. */
  uuids: string[];
}

/**
 * The operations a bulk command (`kill`, `op wait`) acts on: the resolved UUIDs (canonical, each
 * once), or with `--all` every active one (explicit UUIDs then ignored with a warning); either
 * way a {@link DistinctUuids}. Returns an exit status instead when there is nothing to do, after
 * logging the original's line for it. `verb` fills the original's wording: "cancel" or "wait for".
 */
export async function targetUuids(
  ctx: CommandContext<TargetArgs>,
  verb: "cancel" | "wait for",
  /** The `--all` listing (default: every active operation; `kill` passes its filtered one). */
  listAll: (signal: AbortSignal) => Promise<DistinctUuids> = (signal) =>
    listActiveUuids(ctx.client, { signal }),
): Promise<DistinctUuids | number> {
  const explicit = ctx.args.uuids;
  if (!ctx.args.all) {
    if (explicit.length) return explicitUuids(explicit);
    log.error("Provide at least one UUID, or use --all");
    return 1;
  }
  const doing = verb === "cancel" ? "cancelling" : "waiting for";
  if (explicit.length) log.warning(`--all overrides explicit UUIDs; ${doing} all active`);
  const uuids = await listAll(ctx.interrupt);
  if (uuids.length) return uuids;
  log.info(`No active operations to ${verb}`);
  return 0;
}
