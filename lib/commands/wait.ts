// `contree op wait` / `op w`: poll operations until each reaches a terminal status.
import type { Client } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { fetchOperation, isObject, isTerminal, type Operation } from "../api/operations.ts";
import type { CommandContext } from "../cli/spec.ts";
import { envDelays } from "../config/env.ts";
import { log } from "../log/log.ts";
import { formatterFor } from "../output/cli.ts";
import { PyFloat } from "../output/pyjson.ts";
import { delay } from "../async/delay.ts";
import { orderedPool } from "../async/pool.ts";
import { canonicalUuid, quoteText } from "../api/uuid.ts";
import { concurrencyFromEnv } from "../config/env.ts";
import { Interrupted } from "../ops/interrupted.ts";
import { type TargetArgs, targetUuids } from "./targets.ts";

/** Poll back-off in seconds; the last one repeats. */
export const WAIT_DELAYS = [0.5, 1, 2, 4, 5];

/** Columns `op wait` puts first. */
export const WAIT_HEAD = ["uuid", "status", "exit_code", "timed_out", "duration"];

function toInt(v: unknown): number | null {
  if (v instanceof PyFloat) v = v.value;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  return null;
}

/**
 * The sandbox exit code of an operation: `metadata.result.state.exit_code`, else the older
 * `result.exit_code`, as an integer; null when there is none.
 *
 * @example
 * ```ts
 * waitExitCode({ uuid: "u", metadata: { result: { state: { exit_code: 3 } } } }); // 3
 * waitExitCode({ uuid: "u", result: { exit_code: "5" } }); // 5
 * ```
 */
export function waitExitCode(op: Record<string, unknown>): number | null {
  const meta = op.metadata;
  const state = isObject(meta) && isObject(meta.result) ? meta.result.state : undefined;
  let raw = isObject(state) ? state.exit_code : undefined;
  if (raw === undefined || raw === null) raw = isObject(op.result) ? op.result.exit_code : null;
  return toInt(raw);
}

/** One finished (or timed-out) operation as `op wait` reports it. */
export interface WaitEvent {
  /** The operation as the API last returned it. */
  op: Operation;
  /** Absent for timed-out operations. */
  exitCode?: number | null;
  /** Still active when the deadline passed. */
  timedOut: boolean;
}

/** Options of {@link waitForOperations}. */
export interface WaitOptions {
  /** Seconds before giving up (the CLI's `--timeout`). */
  timeout: number;
  /** Poll back-off in seconds (default {@link WAIT_DELAYS}; the last repeats). */
  delays?: readonly number[];
  /** GETs in flight per polling round (default 8). */
  concurrency?: number;
  /** Called for each finished operation (in input order within a round). */
  onDone?: (event: WaitEvent) => void;
  /** Called after each polling round. */
  onRound?: () => void;
  /** Stops waiting (no new round, no timeout fetches). */
  signal?: AbortSignal;
}

/** What {@link waitForOperations} ended with. */
export interface WaitReport {
  /** The exit status `op wait` computes (before any timeout). */
  code: number;
  /** UUIDs that had not finished at the deadline (or when stopped), in input order. */
  pending: string[];
}

/** Exit status contribution of one terminal operation. */
export function exitContribution(op: Operation, exitCode: number | null): number {
  let code = op.status === "SUCCESS" ? 0 : 1;
  if (exitCode !== null && exitCode > 0) code = Math.max(code, exitCode);
  return code;
}

/** The poll sleep: the shared abortable, clamped delay; an abort just ends it early. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, signal).catch(() => {});
}

/**
 * Polls `GET /v1/operations/{uuid}` for every pending operation until each is terminal or the
 * timeout passes, with back-off 0.5, 1, 2, 4, 5, 5, … s. An API error while polling rejects.
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
 * const fetch = () => Promise.resolve(Response.json({ uuid, status: "SUCCESS" })); // stand-in
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const done: string[] = [];
 * const report = await waitForOperations(client, [uuid], {
 *   timeout: 60,
 *   onDone: (e) => done.push(`${e.op.uuid} ${e.op.status} ${e.exitCode}`),
 * });
 * report.pending; // [] when everything finished in time
 * ```
 */
export async function waitForOperations(
  client: Client,
  uuids: readonly string[],
  opts: WaitOptions,
): Promise<WaitReport> {
  const delays = opts.delays?.length ? opts.delays : WAIT_DELAYS;
  const deadline = performance.now() + opts.timeout * 1000;
  let pending = [...new Set(uuids)];
  let code = 0;
  for (let round = 0; pending.length && performance.now() < deadline; round++) {
    if (opts.signal?.aborted) break;
    const finished = new Set<string>();
    try {
      await orderedPool(
        pending,
        opts.concurrency ?? 8,
        (uuid) => fetchOperation(client, uuid),
        (uuid, op) => {
          if (!isTerminal(op.status)) return;
          finished.add(uuid);
          const exitCode = waitExitCode(op);
          code = Math.max(code, exitContribution(op, exitCode));
          opts.onDone?.({ op, exitCode, timedOut: false });
        },
      );
    } catch (e) {
      // Stopped mid-round: what finished is reported, the rest is still pending.
      if (!opts.signal?.aborted) throw e;
    } finally {
      opts.onRound?.();
    }
    pending = pending.filter((uuid) => !finished.has(uuid));
    if (opts.signal?.aborted) break;
    if (!pending.length) break;
    const left = deadline - performance.now();
    if (left <= 0) break;
    await sleep(Math.min(delays[Math.min(round, delays.length - 1)] * 1000, left), opts.signal);
  }
  return { code, pending };
}

/** `CONTREE_WAIT_DELAYS`: comma-separated seconds replacing the back-off (tests, impatience). */
export function waitDelaysFromEnv(env: Readonly<Record<string, string | undefined>>): number[] {
  return envDelays(env, "CONTREE_WAIT_DELAYS", WAIT_DELAYS);
}

/** Arguments of `op wait`, as the command table parses them. */
export interface WaitArgs extends TargetArgs {
  /** `-t/--timeout`, seconds. */
  timeout: number;
}

/** The `op wait` handler. */
export async function wait(ctx: CommandContext<WaitArgs>): Promise<number> {
  const { io } = ctx;
  const timeout = ctx.args.timeout;
  const targets = await targetUuids(ctx, "wait for");
  if (typeof targets === "number") return targets;
  // A listed row whose uuid is not a UUID is reported and never requested.
  const uuids = targets.filter((uuid) => canonicalUuid(uuid) !== undefined);
  const invalid = targets.length - uuids.length;
  for (const text of targets.filter((uuid) => canonicalUuid(uuid) === undefined)) {
    log.error(`Invalid operation UUID ${quoteText(text)} listed; not waiting for it`);
  }
  const delays = waitDelaysFromEnv(io.env);
  const formatter = formatterFor(ctx.globals.output_format, io, {
    head: WAIT_HEAD,
    tail: ["error"],
  });
  try {
    const report = await waitForOperations(ctx.client, uuids, {
      timeout,
      delays,
      concurrency: concurrencyFromEnv(io.env),
      signal: ctx.interrupt,
      onDone: ({ op, exitCode }) =>
        formatter.emit({ ...op, exit_code: exitCode, timed_out: false }),
      onRound: () => formatter.flush(),
    });
    let code = invalid ? Math.max(report.code, 1) : report.code;
    if (ctx.interrupt.aborted) {
      formatter.flush();
      if (report.pending.length) {
        log.warning(
          `Stopped waiting: ${report.pending.length} operation(s) not finished: ${
            report.pending.join(" ")
          }`,
        );
      }
      throw new Interrupted();
    }
    if (report.pending.length) {
      for (const uuid of [...report.pending].sort()) {
        try {
          const op = await fetchOperation(ctx.client, uuid);
          formatter.emit({ ...op, timed_out: true });
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          log.error(`Failed to fetch ${uuid}: ${e.message}`);
        }
      }
      formatter.flush();
      log.warning(`Timeout: ${report.pending.length} operation(s) did not finish in ${timeout}s`);
      code = Math.max(code, 1);
    }
    // Exit statuses are 8 bits: never let a large sandbox code wrap round to success.
    return Math.min(code, 255);
  } finally {
    formatter.close();
  }
}
