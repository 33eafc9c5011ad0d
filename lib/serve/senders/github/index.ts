// GitHub webhooks: `ping` (sent when a hook is created), any other event acknowledged and
// ignored, and `repository_dispatch` carrying a cancel request in `client_payload`. Deliveries
// may be JSON or GitHub's default `application/x-www-form-urlencoded` (`payload=<json>`); the
// signature (lib/serve/verify) is always checked over the raw body, before this runs.
import { DEFAULT_MAX_UUIDS, parseCancelRequest } from "../../payload/index.ts";
import { answer, type Interpretation } from "../types.ts";

/** GitHub's event names: lower-case words and digits joined by `_`. */
const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The event name as logged and answered: GitHub's, or `other` when it is not one. */
export function eventName(event: string): string {
  return EVENT_NAME.test(event) ? event : "other";
}

const encoder = new TextEncoder();

/** The media type of a `Content-Type` header, lower-cased, without parameters. */
export function mediaType(header: string | null | undefined): string | undefined {
  const type = header?.split(";")[0].trim().toLowerCase();
  return type || undefined;
}

/**
 * The JSON text of a delivery: the body itself, or the `payload` field of a form-encoded one.
 * Undefined when a form body has no `payload` or the bytes are not UTF-8.
 */
export function githubJson(raw: Uint8Array, contentType: string | undefined): string | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return undefined;
  }
  if (contentType !== "application/x-www-form-urlencoded") return text;
  return new URLSearchParams(text).get("payload") ?? undefined;
}

/**
 * What a verified GitHub delivery asks for. Without `X-GitHub-Event` the body is this server's
 * own request (`{"uuids": [...]}` / `{"all": true}`), as from any GitHub-style sender. `ping` is
 * `200 {"status": "pong"}`; `repository_dispatch` whose `client_payload` has `uuids` or `all`
 * is that cancel; every other event is `202 {"status": "ignored", "event": ...}`, never a 4xx,
 * so GitHub's delivery log stays green.
 *
 * @example
 * ```ts
 * const body = new TextEncoder().encode(JSON.stringify({
 *   action: "contree-cancel",
 *   client_payload: { uuids: ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"] },
 * }));
 * const r = interpretGithub("repository_dispatch", "application/json", body);
 * r.kind; // "cancel"
 * interpretGithub("ping", "application/json", new TextEncoder().encode('{"zen":"."}')).kind;
 * // "answer"
 * ```
 */
export function interpretGithub(
  event: string | undefined,
  contentType: string | undefined,
  raw: Uint8Array,
  maxUuids = DEFAULT_MAX_UUIDS,
): Interpretation {
  const json = githubJson(raw, contentType);
  if (json === undefined) {
    return answer(400, {
      error: "invalid_request",
      message: contentType === "application/x-www-form-urlencoded"
        ? "form body must have payload=<json>"
        : "request body is not valid UTF-8",
    }, "invalid_request");
  }
  if (event === undefined) return toCancel(parseCancelRequest(encoder.encode(json), maxUuids));
  const name = eventName(event);
  if (name === "ping") return answer(200, { status: "pong" });
  if (name === "repository_dispatch") {
    let body: unknown;
    try {
      body = JSON.parse(json);
    } catch {
      return answer(
        400,
        { error: "invalid_json", message: "payload is not valid JSON" },
        "invalid_json",
      );
    }
    const cp = (body as { client_payload?: unknown } | null)?.client_payload;
    if (cp && typeof cp === "object" && !Array.isArray(cp) && ("uuids" in cp || "all" in cp)) {
      return toCancel(parseCancelRequest(encoder.encode(JSON.stringify(cp)), maxUuids));
    }
  }
  return answer(202, { status: "ignored", event: name }, "ignored");
}

function toCancel(parsed: ReturnType<typeof parseCancelRequest>): Interpretation {
  if (!parsed.ok) return answer(400, { ...parsed.error }, parsed.error.error);
  return { kind: "cancel", request: parsed.request };
}
