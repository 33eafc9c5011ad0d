// Which sender a request comes from, and how to verify it: by the headers it carries, checked in
// a fixed order. No HTTP framework here; senders/index.ts makes middlewares of it.
import type { Delivery, Scheme } from "../types.ts";
import { reject, type Verification, verifyRequest, type WebhookSecrets } from "../verify/index.ts";
import {
  GRAFANA_SIGNATURE_HEADER,
  GRAFANA_TIMESTAMP_HEADER,
  verifyGrafana,
} from "./alertmanager/index.ts";
import { verifySlack } from "./slack/index.ts";

/**
 * The sender a request's headers name (checked in this order: Standard Webhooks, Slack, Grafana,
 * GitHub, a bearer token for Alertmanager); undefined when none.
 *
 * @example
 * ```ts
 * import { senderOf } from "./detect.ts";
 * senderOf(new Headers({ "x-github-event": "ping" })); // "github"
 * senderOf(new Headers()); // undefined
 * ```
 */
export function senderOf(h: Headers): Scheme | undefined {
  if (h.has("webhook-signature") || h.has("webhook-id") || h.has("webhook-timestamp")) {
    return "standard";
  }
  if (h.has("x-slack-signature") || h.has("x-slack-request-timestamp")) return "slack";
  if (h.has(GRAFANA_SIGNATURE_HEADER)) return "grafana";
  if (h.has("x-hub-signature-256") || h.has("x-github-event")) return "github";
  if (/^bearer\s/i.test(h.get("authorization") ?? "")) return "alertmanager";
  return undefined;
}

/** Content types each sender may use (the first is the one named in a 415). */
const CONTENT_TYPES: Record<string, string[]> = {
  github: ["application/json", "application/x-www-form-urlencoded"],
  slack: ["application/x-www-form-urlencoded"],
};

/**
 * The media types a sender may post (JSON unless it is GitHub or Slack).
 *
 * @example
 * ```ts
 * import { contentTypesOf } from "./detect.ts";
 * contentTypesOf("slack"); // ["application/x-www-form-urlencoded"]
 * contentTypesOf(undefined); // ["application/json"]
 * ```
 */
export function contentTypesOf(sender: Scheme | undefined): readonly string[] {
  return CONTENT_TYPES[sender ?? ""] ?? ["application/json"];
}

/** The secrets and tokens {@link senderVerifier} checks requests against. */
export interface SenderKeys {
  /** Standard Webhooks and GitHub secrets. */
  secrets: WebhookSecrets;
  /** Slack signing secrets, as HMAC keys. */
  slackKeys?: CryptoKey[];
  /** Grafana's HMAC secrets, as HMAC keys. */
  grafanaKeys?: CryptoKey[];
  /** Constant-time check of Alertmanager's bearer token; undefined when none is configured. */
  checkBearer?: (token: string) => Promise<boolean>;
}

/**
 * A verifier of requests as their sender signs or authorises them, over the raw body: the
 * sender's scheme and delivery id, or the reason it was refused.
 */
export function senderVerifier(
  keys: SenderKeys,
): (sender: Scheme | undefined, h: Headers, raw: Uint8Array, now: number) => Promise<Verification> {
  return async (sender, h, raw, now) => {
    switch (sender) {
      case "slack":
        return await verifySlack(
          keys.slackKeys ?? [],
          {
            timestamp: h.get("x-slack-request-timestamp"),
            signature: h.get("x-slack-signature"),
          },
          raw,
          now,
        );
      case "grafana":
        return await verifyGrafana(
          keys.grafanaKeys ?? [],
          {
            signature: h.get(GRAFANA_SIGNATURE_HEADER),
            timestamp: h.get(GRAFANA_TIMESTAMP_HEADER),
          },
          raw,
          now,
        );
      case "alertmanager": {
        const token = (h.get("authorization") ?? "").replace(/^bearer\s+/i, "").trim();
        if (!keys.checkBearer) {
          return reject("no_secret", "no bearer token is configured (CONTREE_WEBHOOK_BEARER)");
        }
        if (!await keys.checkBearer(token)) return reject("bad_token", "bearer token not accepted");
        const grafana = /^grafana/i.test(h.get("user-agent") ?? "");
        const delivery: Delivery = {
          scheme: grafana ? "grafana" : "alertmanager",
          id: `${grafana ? "grafana" : "alert"}_${crypto.randomUUID()}`,
        };
        return { ok: true, delivery };
      }
      default:
        return await verifyRequest(keys.secrets, h, raw, now);
    }
  };
}
