// Prometheus Alertmanager and Grafana alerting webhooks (the budget alarm). Neither signs with a
// per-delivery HMAC by default, so the route is authorised by a bearer token
// (`CONTREE_WEBHOOK_BEARER`: Alertmanager's `http_config.authorization`, Grafana's contact point
// "Authorization header"); Grafana's optional HMAC (`X-Grafana-Alerting-Signature`) is accepted
// when its secret is configured. What a firing alert cancels comes from its labels.
import { canonicalUuid } from "../../../api/uuid.ts";
import { type CancelRequest, DEFAULT_MAX_UUIDS, KINDS } from "../../payload/index.ts";
import {
  anyMatches,
  hexBytes,
  reject,
  TIMESTAMP_TOLERANCE_SECONDS,
  type Verification,
} from "../../verify/index.ts";
import { answer, type Interpretation } from "../types.ts";

/** The label naming one operation to cancel. */
export const UUID_LABEL = "contree_uuid";
/** The label that, set to `all`, cancels every active operation (of `contree_kind`, if set). */
export const CANCEL_LABEL = "contree_cancel";
/** The optional kind filter with `contree_cancel="all"`. */
export const KIND_LABEL = "contree_kind";
/** Grafana's default signature header. */
export const GRAFANA_SIGNATURE_HEADER = "x-grafana-alerting-signature";
/** Grafana's optional timestamp header, as this server names it (set the same in Grafana). */
export const GRAFANA_TIMESTAMP_HEADER = "x-grafana-alerting-signature-timestamp";

const encoder = new TextEncoder();

/**
 * Verifies Grafana's HMAC option: `X-Grafana-Alerting-Signature` is the hex HMAC-SHA256 of the
 * body, or of `<timestamp>:<body>` when `X-Grafana-Alerting-Signature-Timestamp` is sent (then
 * within 5 minutes of `now`). Grafana sends no delivery id: each request is a delivery of its own.
 *
 * @example
 * ```ts
 * const key = await crypto.subtle.importKey(
 *   "raw", new TextEncoder().encode("grafana-secret-0123"), { name: "HMAC", hash: "SHA-256" },
 *   false, ["verify"],
 * );
 * const v = await verifyGrafana([key], { signature: "00".repeat(32) }, new TextEncoder().encode("{}"));
 * v.ok; // false: the signature does not match
 * ```
 */
export async function verifyGrafana(
  keys: readonly CryptoKey[],
  headers: { signature?: string | null; timestamp?: string | null },
  body: Uint8Array,
  now = Date.now(),
): Promise<Verification> {
  const sig = headers.signature?.trim().replace(/^sha256=/i, "");
  if (!sig) return reject("missing_header", "missing X-Grafana-Alerting-Signature header");
  if (!/^(?:[0-9a-fA-F]{2}){1,64}$/.test(sig)) {
    return reject(
      "malformed_header",
      "malformed X-Grafana-Alerting-Signature header (hex expected)",
    );
  }
  let data = body;
  if (headers.timestamp) {
    if (!/^\d{1,12}$/.test(headers.timestamp)) {
      return reject(
        "malformed_header",
        "malformed X-Grafana-Alerting-Signature-Timestamp header (Unix seconds)",
      );
    }
    if (Math.abs(now / 1000 - Number(headers.timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) {
      return reject(
        "stale",
        "X-Grafana-Alerting-Signature-Timestamp is outside the 5-minute tolerance window",
      );
    }
    const prefix = encoder.encode(`${headers.timestamp}:`);
    data = new Uint8Array(prefix.length + body.length);
    data.set(prefix);
    data.set(body, prefix.length);
  }
  if (!keys.length) {
    return reject("no_secret", "no Grafana signing secret is configured (CONTREE_GRAFANA_SECRET)");
  }
  if (!await anyMatches(keys, [hexBytes(sig)], data)) {
    return reject("bad_signature", "signature does not match");
  }
  return { ok: true, delivery: { scheme: "grafana", id: `grafana_${crypto.randomUUID()}` } };
}

interface Alert {
  status?: unknown;
  labels?: unknown;
}

function shown(v: unknown): string {
  const text = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * What an Alertmanager (version 4) or Grafana webhook body asks for. Only firing alerts count:
 * `contree_uuid="<uuid>"` cancels that operation; `contree_cancel="all"` cancels every active
 * one (of `contree_kind`, when every such alert names the same kind). Resolved alerts and
 * alerts without these labels are acknowledged: `202 {"status": "ignored"}` when nothing is
 * left to do. A label value that is not a UUID or a known kind is a `400` naming it.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({
 *   version: "4", status: "firing",
 *   alerts: [{ status: "firing", labels: { alertname: "Budget", contree_cancel: "all" } }],
 * });
 * const r = interpretAlerts(new TextEncoder().encode(body));
 * r.kind === "cancel" && r.request; // { all: true }
 * ```
 */
export function interpretAlerts(raw: Uint8Array, maxUuids = DEFAULT_MAX_UUIDS): Interpretation {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    return answer(
      400,
      { error: "invalid_json", message: "request body is not valid UTF-8 JSON" },
      "invalid_json",
    );
  }
  const alerts = (body as { alerts?: unknown } | null)?.alerts;
  if (!body || typeof body !== "object" || !Array.isArray(alerts)) {
    return answer(400, {
      error: "invalid_request",
      message: 'body must be an Alertmanager or Grafana notification with an "alerts" array',
    }, "invalid_request");
  }
  const uuids = new Set<string>();
  const invalid: string[] = [];
  let all = false;
  const kinds = new Set<string | undefined>();
  let ignored = 0;
  for (const a of alerts as Alert[]) {
    const labels = a && typeof a === "object" && a.labels && typeof a.labels === "object"
      ? a.labels as Record<string, unknown>
      : {};
    const wants = UUID_LABEL in labels || CANCEL_LABEL in labels;
    if (a?.status !== "firing" || !wants) {
      ignored++;
      continue;
    }
    if (UUID_LABEL in labels) {
      const uuid = typeof labels[UUID_LABEL] === "string"
        ? canonicalUuid((labels[UUID_LABEL] as string).trim())
        : undefined;
      if (uuid) uuids.add(uuid);
      else invalid.push(`${UUID_LABEL}=${shown(labels[UUID_LABEL])}`);
    }
    if (CANCEL_LABEL in labels) {
      if (labels[CANCEL_LABEL] !== "all") {
        invalid.push(`${CANCEL_LABEL}=${shown(labels[CANCEL_LABEL])} (only "all")`);
        continue;
      }
      const kind = labels[KIND_LABEL];
      if (kind !== undefined && !KINDS.includes(kind as never)) {
        invalid.push(`${KIND_LABEL}=${shown(kind)} (one of: ${KINDS.join(", ")})`);
        continue;
      }
      all = true;
      kinds.add(kind as string | undefined);
    }
  }
  if (invalid.length) {
    return answer(400, {
      error: "invalid_labels",
      message: `alert labels not understood: ${invalid.slice(0, 20).join(", ")}`,
    }, "invalid_labels");
  }
  let request: CancelRequest;
  if (all) {
    // Two different kinds (or one alert without a kind) together mean every kind.
    const [kind] = kinds;
    request = kinds.size === 1 && kind
      ? { all: true, kind: kind as typeof KINDS[number] }
      : { all: true };
  } else if (uuids.size) {
    if (uuids.size > maxUuids) {
      return answer(400, {
        error: "too_many_uuids",
        message: `at most ${maxUuids} UUIDs per request, got ${uuids.size}`,
      }, "too_many_uuids");
    }
    request = { uuids: [...uuids] };
  } else {
    return answer(202, { status: "ignored", alerts: alerts.length, ignored }, "ignored");
  }
  return { kind: "cancel", request };
}
