// What a sender module makes of a verified delivery: an answer of its own (a GitHub `ping`, an
// event that asks for nothing) or a cancel request for the delivery store to run.
import type { CancelRequest } from "../payload/index.ts";

/** An answer sent as-is, with no cancel (`reason` goes to the access log). */
export interface DirectAnswer {
  /** Discriminant. */
  kind: "answer";
  /** HTTP status. */
  status: 200 | 202 | 400 | 415;
  /** JSON body. */
  body: Record<string, unknown>;
  /** Short code for the access log (`ignored`, `invalid_request`, ...). */
  reason?: string;
}

/** A cancel request to run under the delivery contract. */
export interface CancelAnswer {
  /** Discriminant. */
  kind: "cancel";
  /** What to cancel. */
  request: CancelRequest;
}

/** The interpretation of a delivery by its sender module. */
export type Interpretation = DirectAnswer | CancelAnswer;

/** Builds a {@link DirectAnswer}. */
export function answer(
  status: DirectAnswer["status"],
  body: Record<string, unknown>,
  reason?: string,
): DirectAnswer {
  return { kind: "answer", status, body, ...(reason ? { reason } : {}) };
}
