// What one cancel outcome means for a delivery record: its stored code, and the audit record of a
// delivery that became final.
import type { CancelOutcome } from "../../ops/cancel.ts";
import type { DeliveryRecord, UuidCode } from "../dedupe/index.ts";

/**
 * The HTTP status of a failed outcome, from the outcome or its error text (`API 503 …`).
 *
 * @example
 * ```ts
 * import { httpStatusOf } from "./outcome.ts";
 * httpStatusOf({ uuid: "u", status: "failed", error: "API 503 Service Unavailable" }); // 503
 * ```
 */
export function httpStatusOf(o: CancelOutcome): number | undefined {
  if (typeof o.httpStatus === "number") return o.httpStatus;
  const m = /^API (\d{3})\b/.exec(o.error ?? "");
  return m ? Number(m[1]) : undefined;
}

/**
 * The stored code of an outcome: final ones, a 4xx that retrying cannot fix (`f`), or a retryable
 * failure (`r`: 5xx, 408, 425, 429, network or no status).
 *
 * @example
 * ```ts
 * import { outcomeCode } from "./outcome.ts";
 * outcomeCode({ uuid: "u", status: "cancelled" }); // "c"
 * outcomeCode({ uuid: "u", status: "failed", httpStatus: 429 }); // "r"
 * ```
 */
export function outcomeCode(o: CancelOutcome): UuidCode {
  if (o.status === "cancelled") return "c";
  if (o.status === "not_found") return "n";
  if (o.status === "already_finished") return "a";
  if (o.invalid) return "f";
  const status = httpStatusOf(o);
  if (o.network || status === undefined) return "r";
  if (status >= 500 || status === 408 || status === 425 || status === 429) return "r";
  return status >= 400 ? "f" : "r";
}

/**
 * The audit record of a delivery that became final: what it cancelled, and every other UUID's
 * outcome (one JSON line in the log).
 */
export function auditRecord(r: DeliveryRecord, now: number): Record<string, unknown> {
  const uuids = r.uuids ?? [];
  const cancelled: string[] = [];
  const others: Record<string, unknown>[] = [];
  for (let i = 0; i < uuids.length; i++) {
    const code = r.codes[i] ?? "p";
    if (code === "c") {
      cancelled.push(uuids[i]);
      continue;
    }
    const rendered: Record<string, unknown> = {
      uuid: uuids[i],
      status: code === "n"
        ? "not_found"
        : code === "a"
        ? "already_finished"
        : code === "p"
        ? "not_attempted"
        : "failed",
    };
    if (r.errors[uuids[i]] !== undefined) rendered.error = r.errors[uuids[i]];
    others.push(rendered);
  }
  return {
    time: new Date(now).toISOString(),
    event: "audit",
    delivery: r.id,
    ...(r.sender ? { sender: r.sender } : {}),
    request: r.all ? { all: true, ...(r.all.kind ? { kind: r.all.kind } : {}) } : "uuids",
    status: r.gaveUp ? "gave_up" : "done",
    cancelled,
    outcomes: others,
  };
}
