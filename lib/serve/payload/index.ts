// The body of `POST /v1/cancel`: parsed only after the signature was verified, and checked
// strictly so that a mistake is a 400 naming the bad values, never a guess.
import { parseReference } from "../../session/refs.ts";
import { canonicalUuid } from "../../api/uuid.ts";

/** Kinds accepted with `all`. */
export const KINDS = ["instance", "image_import"] as const;
/** Default and hard upper bound of UUIDs in one request. */
export const DEFAULT_MAX_UUIDS = 1000;
const MAX_LISTED = 50;

/** A validated request: explicit UUIDs (canonical, de-duplicated) or every active operation. */
export type CancelRequest =
  | { uuids: string[] }
  | { all: true; kind?: typeof KINDS[number] };

/** A 400 answer: a stable code, a message naming the problem, and the offending values. */
export interface PayloadError {
  /** Stable short code (`invalid_json`, `invalid_uuids`, ...). */
  error: string;
  /** One sentence naming the problem. */
  message: string;
  /** History references given where UUIDs belong (`HEAD`, `@1`): refused, never resolved. */
  references?: string[];
  /** Values that are not UUIDs. */
  invalid?: string[];
}

/** Either a request or the 400 to answer. */
export type PayloadResult = { ok: true; request: CancelRequest } | {
  ok: false;
  error: PayloadError;
};

function shown(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(error: string, message: string, extra: Partial<PayloadError> = {}): PayloadResult {
  return { ok: false, error: { error, message, ...extra } };
}

/**
 * Parses and validates the raw body: `{"uuids": [...]}` (1 to `maxUuids` UUIDs in any form the
 * CLI accepts; history references such as `HEAD` or `@1` are refused because a server has no
 * session) or `{"all": true}` with an optional `"kind"`.
 *
 * @example
 * ```ts
 * const r = parseCancelRequest(new TextEncoder().encode('{"uuids": ["HEAD"]}'));
 * r.ok; // false: { error: "invalid_uuids", references: ["HEAD"], ... }
 * ```
 */
export function parseCancelRequest(raw: Uint8Array, maxUuids = DEFAULT_MAX_UUIDS): PayloadResult {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    return fail("invalid_json", "request body is not valid UTF-8 JSON");
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return fail("invalid_request", 'body must be a JSON object: {"uuids": [...]} or {"all": true}');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !["uuids", "all", "kind"].includes(k));
  if (unknown.length) {
    return fail("invalid_request", `unknown field(s): ${unknown.map(shown).join(", ")}`);
  }
  if ("all" in fields) {
    if ("uuids" in fields) return fail("invalid_request", 'give either "uuids" or "all", not both');
    if (fields.all !== true) return fail("invalid_request", '"all" must be true');
    if (fields.kind === undefined) return { ok: true, request: { all: true } };
    if (!KINDS.includes(fields.kind as never)) {
      return fail("invalid_request", `"kind" must be one of: ${KINDS.join(", ")}`);
    }
    return { ok: true, request: { all: true, kind: fields.kind as typeof KINDS[number] } };
  }
  if ("kind" in fields) return fail("invalid_request", '"kind" is only accepted with "all": true');
  const list = fields.uuids;
  if (!Array.isArray(list)) {
    return fail("invalid_request", 'body must have "uuids" (an array of UUIDs) or "all": true');
  }
  if (list.length === 0) return fail("invalid_request", '"uuids" is empty');
  if (list.length > maxUuids) {
    return fail("too_many_uuids", `at most ${maxUuids} UUIDs per request, got ${list.length}`);
  }
  const uuids = new Set<string>();
  const references: string[] = [];
  const invalid: string[] = [];
  for (const item of list) {
    if (typeof item !== "string") {
      invalid.push(shown(item));
      continue;
    }
    const token = item.trim();
    if (parseReference(token)) {
      references.push(shown(item));
      continue;
    }
    const uuid = canonicalUuid(token);
    if (uuid) uuids.add(uuid);
    else invalid.push(shown(item));
  }
  if (references.length || invalid.length) {
    const parts = [];
    if (references.length) {
      parts.push(
        `history references are not accepted (the server has no session): ${
          references.slice(0, MAX_LISTED).join(", ")
        }`,
      );
    }
    if (invalid.length) parts.push(`not UUIDs: ${invalid.slice(0, MAX_LISTED).join(", ")}`);
    return fail("invalid_uuids", parts.join("; "), {
      ...(references.length ? { references: references.slice(0, MAX_LISTED) } : {}),
      ...(invalid.length ? { invalid: invalid.slice(0, MAX_LISTED) } : {}),
    });
  }
  return { ok: true, request: { uuids: [...uuids] } };
}
