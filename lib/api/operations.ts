import type { Client, RequestOptions } from "./client.ts";
import { ResponseError } from "./errors.ts";
import { BAD_UUID, canonicalUuid, quoteText } from "./uuid.ts";

/** Statuses of operations that can still be cancelled, in the order `--all` lists them. */
export const ACTIVE_STATUSES = ["PENDING", "ASSIGNED", "EXECUTING"] as const;
/** Statuses after which an operation never changes. */
export const TERMINAL_STATUSES = ["SUCCESS", "FAILED", "CANCELLED"] as const;
/** Page size of the active listing behind `--all`. */
export const ACTIVE_PAGE_SIZE = 100;

/** An operation object as the API sends it: known fields typed, anything else kept. */
export interface Operation {
  /** The operation's id (a UUID). */
  uuid: string;
  /** `PENDING`, `ASSIGNED`, `EXECUTING`, `SUCCESS`, `FAILED` or `CANCELLED`. */
  status?: string;
  /** The kind of work, e.g. `instance` or `image_import`. */
  kind?: string;
  /** Any other field the server sent, kept as is. */
  [field: string]: unknown;
}

/**
 * Whether `value` is a JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * isObject({ a: 1 }); // true
 * isObject([1]); // false
 * ```
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Whether `value` is an operation: an object with a string `uuid`.
 *
 * @example
 * ```ts
 * isOperation({ uuid: "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f" }); // true
 * ```
 */
export function isOperation(value: unknown): value is Operation {
  return isObject(value) && typeof value.uuid === "string";
}

/**
 * Whether a status is terminal (SUCCESS, FAILED, CANCELLED): the operation never changes again.
 *
 * @example
 * ```ts
 * isTerminal("FAILED"); // true
 * isTerminal("EXECUTING"); // false
 * ```
 */
export function isTerminal(status: unknown): boolean {
  return status === "SUCCESS" || status === "FAILED" || status === "CANCELLED";
}

/**
 * Extracts the items of a `GET /v1/operations` page: a bare JSON array or
 * `{"operations": [...]}`. Anything else, or an item without a string
 * `uuid`, is a {@link ResponseError}.
 */
export function pageItems(body: unknown, path = "/v1/operations"): Operation[] {
  const items = Array.isArray(body) ? body : body && typeof body === "object" &&
      Array.isArray((body as { operations?: unknown }).operations)
    ? (body as { operations: unknown[] }).operations
    : undefined;
  if (!items) {
    throw new ResponseError(`Malformed response from GET ${path}: expected a JSON array`);
  }
  for (const item of items) checkOperation(item, path);
  return items as Operation[];
}

/** Throws a {@link ResponseError} unless `value` is an object with a string `uuid`. */
export function checkOperation(value: unknown, path: string): asserts value is Operation {
  if (!isObject(value)) {
    throw new ResponseError(`Malformed response from GET ${path}: operation is not an object`);
  }
  if (typeof value.uuid !== "string") {
    throw new ResponseError(`Malformed response from GET ${path}: operation has no string uuid`);
  }
}

/** A text that should have been an operation UUID and is not; nothing was sent for it. */
export class InvalidUuidError extends Error {
  /** Always `"InvalidUuidError"`. */
  override name = "InvalidUuidError";
  /** `text` is quoted (control characters escaped) in the message, never printed raw. */
  constructor(readonly text: string) {
    super(`Invalid operation UUID ${quoteText(text)}: ${BAD_UUID}`);
  }
}

/**
 * The API path of one operation, built only from a canonical UUID (so nothing from the network
 * or the command line can add path segments, a query or a fragment); any other text throws
 * {@link InvalidUuidError}.
 *
 * @example
 * ```ts
 * operationPath("{019E3FB6-E2D8-7350-A8F9-8B2B5EBFDA7F}");
 * // "/v1/operations/019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"
 * ```
 */
export function operationPath(uuid: string): string {
  const canonical = canonicalUuid(uuid);
  if (!canonical) throw new InvalidUuidError(uuid);
  return `/v1/operations/${encodeURIComponent(canonical)}`;
}

/** Sends `DELETE /v1/operations/{uuid}`; any 2xx is success (its body is drained, not kept). */
export async function cancelOperation(
  client: Client,
  uuid: string,
  opts: RequestOptions = {},
): Promise<void> {
  await client.request("DELETE", operationPath(uuid), NO_QUERY, {
    signal: opts.signal,
    discardBody: true,
  });
}

const NO_QUERY: [string, string][] = [];

/**
 * `GET /v1/operations/{uuid}` (the one operation fetch), numbers kept exact; the body must be an
 * operation object, else a {@link ResponseError}.
 *
 * @example
 * ```ts
 * import { createClient } from "./client.ts";
 * const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
 * const fetch = () => Promise.resolve(Response.json({ uuid, status: "SUCCESS" })); // stand-in
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const op = await fetchOperation(client, uuid);
 * op.status; // "SUCCESS"
 * ```
 */
export async function fetchOperation(
  client: Client,
  uuid: string,
  opts: RequestOptions = {},
): Promise<Operation> {
  const path = operationPath(uuid);
  const body = await client.getJson(path, [], { exact: true, signal: opts.signal });
  checkOperation(body, path);
  return body;
}
