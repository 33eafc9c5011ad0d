// What `kill` shows besides its log lines: the `--dry-run` rows, the per-operation results with
// an explicit `-f`, the prompt's question, and the progress line on a terminal.
import { InvalidUuidError, type Operation } from "../api/operations.ts";
import { canonicalUuid } from "../api/uuid.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";
import { concurrencyFromEnv } from "../config/env.ts";
import { distinctTargets } from "../ops/cancel.ts";
import { previewOperations, previewRow } from "../ops/preview.ts";
import type { CancelOutcome } from "../ops/cancel.ts";
import type { Io } from "../cli/io.ts";
import type { FormatName } from "../output/names.ts";
import { formatterFor } from "../output/cli.ts";
import type { Formatter } from "../output/formatter.ts";
import { PROGRESS_MIN_OPERATIONS, type ProgressCounts, ProgressLine } from "../output/progress.ts";
import type { PreviewRow } from "../ops/preview.ts";

/** The `outcome` of one operation in `kill`'s results. */
export type OutcomeName =
  | "cancelled"
  | "not_found"
  | "already_finished"
  | "failed"
  | "not_attempted"
  | "in_flight";

/**
 * The `outcome` word of a cancel outcome: its status, or `in_flight` when the DELETE was cut by
 * Ctrl-C (it may have landed).
 *
 * @example
 * ```ts
 * outcomeName({ uuid: "u", status: "already_finished" }); // "already_finished"
 * ```
 */
export function outcomeName(o: CancelOutcome): OutcomeName {
  return o.interrupted ? "in_flight" : o.status;
}

/**
 * The prompt's kinds: each kind listed with its count, most first (kinds from the server that
 * are not plain words show as `?`).
 *
 * @example
 * ```ts
 * kindsText([{ uuid: "a", kind: "instance" }, { uuid: "b", kind: "instance" }]); // "instance: 2"
 * ```
 */
export function kindsText(ops: readonly Operation[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) {
    const kind = typeof op.kind === "string" && /^[\w.-]{1,40}$/.test(op.kind) ? op.kind : "?";
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k}: ${n.toLocaleString("en-US")}`).join(", ");
}

/**
 * Writes `--dry-run` rows (uuid, kind, status, created_at) through the one formatter.
 *
 * @example
 * ```ts
 * import { bufferWriter } from "../cli/io.ts";
 * const stdout = bufferWriter();
 * const io = { stdout, stderr: bufferWriter(), env: {}, fetch, cwd: "." };
 * writePreview(io, "json", [{ uuid: "u", kind: "instance", status: "PENDING", created_at: null }]);
 * ```
 */
export function writePreview(io: Io, format: FormatName, rows: readonly PreviewRow[]): void {
  const formatter = formatterFor(format, io, { head: ["uuid", "kind", "status", "created_at"] });
  try {
    for (const { error: _, ...row } of rows) formatter.emit(row);
  } finally {
    formatter.close();
  }
}

/**
 * The per-operation results of `kill` as data (`uuid`, `outcome`, `error`), written only when
 * the output format is not `default` (whose stdout stays empty, as the original's).
 */
export class ResultRows {
  #formatter?: Formatter;
  #pending = 0;

  /** Rows go to `io.stdout` in `format`; nothing at all for `default`. */
  constructor(io: Io, format: FormatName) {
    if (format !== "default") {
      this.#formatter = formatterFor(format, io, { head: ["uuid", "outcome", "error"] });
    }
  }

  /** One operation's row. */
  add(uuid: string, outcome: OutcomeName, error?: string): void {
    if (!this.#formatter) return;
    this.#formatter.emit({ uuid, outcome, error: error ?? null });
    if (++this.#pending >= 256) this.flush();
  }

  /** Writes what is buffered. */
  flush(): void {
    this.#pending = 0;
    this.#formatter?.flush();
  }

  /** Writes the rest and ends the output. */
  close(): void {
    this.#formatter?.close();
    this.#formatter = undefined;
  }
}

/**
 * The progress line of a bulk cancel, when there is a person to watch it: stderr a terminal,
 * more than {@link PROGRESS_MIN_OPERATIONS} operations and the default output format. Otherwise undefined (the per-operation log lines scroll as the original's).
 */
export function progressFor(
  io: Io,
  format: FormatName,
  total: number,
): ProgressLine | undefined {
  if (!io.stderr.isTerminal || total <= PROGRESS_MIN_OPERATIONS) return undefined;
  if (format !== "default") return undefined;
  return new ProgressLine(io.stderr, total);
}

/** Counts for the progress line and summary, updated per outcome. */
export function countOutcome(c: ProgressCounts, o: CancelOutcome): void {
  c.done++;
  if (o.interrupted) c.failed++;
  else if (o.status === "cancelled") c.cancelled++;
  else if (o.status === "already_finished") c.alreadyFinished++;
  else if (o.status === "not_found") c.notFound++;
  else c.failed++;
}

/**
 * `kill --dry-run`: writes the targets as rows on stdout and the count on stderr; sends no
 * DELETE. Listed targets (`--all`) come from their listing; named ones are looked up (GET).
 * Returns the exit status: 1 when a named target is not a UUID (a real run would fail it too).
 */
export async function dryRun(
  ctx: CommandContext<unknown>,
  uuids: readonly string[],
  listed: readonly Operation[] | undefined,
): Promise<number> {
  const concurrency = concurrencyFromEnv(ctx.io.env);
  let rows: PreviewRow[] = [];
  let invalid = 0;
  if (listed) {
    const byUuid = new Map(listed.map((op) => [canonicalUuid(op.uuid) ?? op.uuid, op]));
    const targets = distinctTargets(uuids);
    for (const [i, uuid] of targets.uuids.entries()) {
      const op = byUuid.get(uuid);
      if (targets.invalid.has(i) || !op) {
        invalid++;
        log.error(new InvalidUuidError(uuid).message);
      } else rows.push({ ...previewRow(op), uuid });
    }
  } else {
    ({ rows, invalid } = await previewOperations(ctx.client, uuids, {
      concurrency,
      signal: ctx.interrupt,
    }));
  }
  writePreview(ctx.io, ctx.globals.output_format, rows);
  const n = rows.length;
  log.info(`Would cancel ${n.toLocaleString("en-US")} operation${n === 1 ? "" : "s"}`);
  return invalid ? 1 : 0;
}
