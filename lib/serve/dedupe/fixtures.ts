// Test fixtures of the delivery store, shared by its unit tests (index.test.ts), the tests in
// tests/perf/ and bench/store.ts. Not imported by the server.
import type { DeliveryRecord } from "./record.ts";

/** When a fixture record was made and how long its lease runs, in ms since the epoch. */
export interface RecordTimes {
  /** `createdAt` and `updatedAt` (default 0). */
  now?: number;
  /** `leaseUntil` is `now + leaseMs` (default 1000). */
  leaseMs?: number;
}

/**
 * A running delivery `id` of one UUID, not yet accepted, leased by owner `me`, with `fields`
 * over it.
 *
 * @example
 * ```ts
 * deliveryRecord("d1", { owner: "you" }).leaseUntil; // 1000
 * deliveryRecord("d2", {}, { now: 5000, leaseMs: 60_000 }).leaseUntil; // 65000
 * ```
 */
export function deliveryRecord(
  id: string,
  fields: Partial<DeliveryRecord> = {},
  { now = 0, leaseMs = 1000 }: RecordTimes = {},
): DeliveryRecord {
  return {
    id,
    hash: "h",
    state: "running",
    uuids: ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"],
    codes: "p",
    errors: {},
    accepted: false,
    owner: "me",
    leaseUntil: now + leaseMs,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

/**
 * A {@link deliveryRecord} made now and leased for a minute: what a store under test claims as
 * the server would.
 *
 * @example
 * ```ts
 * const r = freshRecord("d1");
 * r.leaseUntil - r.createdAt; // 60000
 * ```
 */
export function freshRecord(id: string, fields: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return deliveryRecord(id, fields, { now: Date.now(), leaseMs: 60_000 });
}
