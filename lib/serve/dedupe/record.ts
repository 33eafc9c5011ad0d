// A delivery's record: what the server knows about one webhook delivery id, per UUID, and the
// answer it renders from that (so a replay gets the same bytes as the first answer).

/** Every {@link DeliveryState}, in the order a delivery usually goes through them. */
export const DELIVERY_STATES = ["running", "retrying", "open", "final"] as const;

/**
 * Where a delivery stands. `running`: an attempt is under way. `retrying`: answered `202` (or cut
 * short by a shutdown), so the server retries it in the background. `open`: answered `503`; the
 * sender's retry re-attempts it. `final`: every UUID reached a final outcome (or retries gave up).
 */
export type DeliveryState = typeof DELIVERY_STATES[number];

/**
 * One character per UUID: `c` cancelled, `n` not_found, `a` already_finished, `f` failed for good
 * (a 4xx that retrying cannot fix), `r` failed retryably (5xx, 429, network), `p` not attempted.
 */
export type UuidCode = "c" | "n" | "a" | "f" | "r" | "p";

/** Everything stored about one delivery. */
export interface DeliveryRecord {
  /** The delivery id (`webhook-id` / `X-GitHub-Delivery`). */
  id: string;
  /** SHA-256 (hex) of the body it came with. */
  hash: string;
  /** Who sent it (`standard`, `github`, `slack`, `alertmanager`, `grafana`), for the audit log. */
  sender?: string;
  /** Where it stands. */
  state: DeliveryState;
  /** `{"all": true}` deliveries: the kind filter, if any. */
  all?: { kind?: string };
  /** The UUIDs to cancel; `null` while an `all` listing has not succeeded. */
  uuids: readonly string[] | null;
  /** One {@link UuidCode} per UUID, in the same order. */
  codes: string;
  /** Last error per UUID that failed (final or retryable). */
  errors: Record<string, string>;
  /** Why the listing of an `all` delivery failed, while it has not succeeded. */
  listingError?: string;
  /** Answered `202` at least once: the server owes it background retries. */
  accepted: boolean;
  /** Background retries stopped after the retry period, with UUIDs still not final. */
  gaveUp?: boolean;
  /** The process holding the claim. */
  owner: string;
  /** The claim is valid until then (ms since the epoch); 0 when released. */
  leaseUntil: number;
  /** When the delivery first arrived (ms since the epoch). */
  createdAt: number;
  /** When the record was last saved (ms since the epoch). */
  updatedAt: number;
}

/** A response to send: status, JSON body and extra headers. */
export interface Rendered {
  /** HTTP status (200, 202 or 503). */
  status: number;
  /** The JSON body. */
  body: string;
  /** Extra headers (`Retry-After` of a 503). */
  headers: Record<string, string>;
}

const STATUS_OF: Record<string, string> = {
  c: "cancelled",
  n: "not_found",
  a: "already_finished",
  f: "failed",
  r: "failed",
};

/** Final outcomes (a UUID with one of these is never attempted again). */
export const FINAL_CODES = "cnaf";

/** Longest error text kept per UUID. */
const MAX_ERROR = 300;

/** Keeps an error text short enough to store (the store is bounded by bytes). */
export function shortError(text: string): string {
  return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 3)}...` : text;
}

/** True when every UUID has a final outcome (and the listing, for `all`, succeeded). */
export function isComplete(r: DeliveryRecord): boolean {
  if (r.uuids === null) return false;
  for (const ch of r.codes) if (!FINAL_CODES.includes(ch)) return false;
  return true;
}

/** Seconds a sender should wait before retrying a `503`. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The answer for a delivery in its current state. `final`: `200` with every outcome. `running` /
 * `retrying`: `202` with the progress so far. `open` (or `interrupted`, a synchronous answer cut
 * short): `503` with `Retry-After` and the result so far.
 *
 * @example
 * ```ts
 * const r = renderRecord({
 *   id: "msg_1", hash: "", state: "final", uuids: ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"],
 *   codes: "c", errors: {}, accepted: false, owner: "", leaseUntil: 0, createdAt: 0, updatedAt: 0,
 * });
 * r.status; // 200
 * ```
 */
export function renderRecord(r: DeliveryRecord, interrupted = false): Rendered {
  const uuids = r.uuids ?? [];
  const counts = {
    requested: uuids.length,
    cancelled: 0,
    not_found: 0,
    already_finished: 0,
    failed: 0,
    retryable: 0,
    not_attempted: 0,
  };
  const outcomes: Record<string, unknown>[] = [];
  const notAttempted: string[] = [];
  const retryable = r.state !== "final";
  for (let i = 0; i < uuids.length; i++) {
    const code = r.codes[i] ?? "p";
    const uuid = uuids[i];
    if (code === "p") {
      notAttempted.push(uuid);
      counts.not_attempted++;
      continue;
    }
    const status = STATUS_OF[code];
    counts[status as "cancelled"]++;
    const o: Record<string, unknown> = { uuid, status };
    if (r.errors[uuid] !== undefined) o.error = r.errors[uuid];
    if (code === "r" && retryable) {
      o.retryable = true;
      counts.retryable++;
    }
    outcomes.push(o);
  }
  const result = `/v1/cancel/${encodeURIComponent(r.id)}`;
  if (r.state === "final") {
    return {
      status: 200,
      headers: {},
      body: JSON.stringify({
        id: r.id,
        status: r.gaveUp ? "gave_up" : "done",
        counts,
        outcomes,
        not_attempted: notAttempted,
      }),
    };
  }
  const listing = r.uuids === null && r.listingError !== undefined
    ? {
      error: "upstream_error",
      message: `listing active operations failed: ${r.listingError}`,
    }
    : {};
  if (!interrupted && (r.state === "running" || r.state === "retrying")) {
    return {
      status: 202,
      headers: {},
      body: JSON.stringify({
        id: r.id,
        status: r.state === "running" ? "pending" : "retrying",
        message: r.state === "running"
          ? "still cancelling; GET the result URL for the outcome"
          : "some operations could not be cancelled yet; the server keeps retrying",
        result,
        ...listing,
        counts,
        outcomes,
        not_attempted: notAttempted,
      }),
    };
  }
  return {
    status: 503,
    headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
    body: JSON.stringify({
      id: r.id,
      status: "incomplete",
      message: "not every operation reached a final outcome; retry this delivery",
      result,
      ...listing,
      counts,
      outcomes,
      not_attempted: notAttempted,
    }),
  };
}
