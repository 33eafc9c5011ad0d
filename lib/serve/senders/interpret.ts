// What a verified delivery asks for, by its sender: a cancel request, or an answer of its own.
import { answer, type Interpretation } from "./types.ts";
import { interpretAlerts } from "./alertmanager/index.ts";
import { eventName, interpretGithub, mediaType } from "./github/index.ts";
import { ephemeral, parseSlackCommand, type SlackCommand, slackEscape } from "./slack/index.ts";
import { parseCancelRequest } from "../payload/index.ts";
import type { Scheme } from "../types.ts";

/** The interpretation of a delivery, and what the route needs besides. */
export interface Interpreted {
  /** A cancel request, or the answer to give as-is. */
  interpretation: Interpretation;
  /** Slack only: the parsed command (its `response_url`). */
  slack?: SlackCommand;
  /** GitHub only: the event name, for the access log. */
  event?: string;
}

/**
 * Interprets a verified delivery's raw body as its scheme defines: a GitHub event, a Slack slash
 * command, Alertmanager / Grafana alerts, or our own `{"uuids": [...]}` / `{"all": true}` body.
 *
 * @example
 * ```ts
 * import { interpretDelivery } from "./interpret.ts";
 * const body = new TextEncoder().encode('{"uuids": []}');
 * interpretDelivery("standard", new Headers(), body, 100).interpretation.kind; // "answer" (400)
 * ```
 */
export function interpretDelivery(
  scheme: Scheme,
  headers: Headers,
  raw: Uint8Array,
  maxUuids: number,
): Interpreted {
  switch (scheme) {
    case "github": {
      const event = headers.get("x-github-event") ?? undefined;
      const interpretation = interpretGithub(
        event,
        mediaType(headers.get("content-type")),
        raw,
        maxUuids,
      );
      return { interpretation, ...(event !== undefined ? { event: eventName(event) } : {}) };
    }
    case "slack": {
      const slack = parseSlackCommand(raw, maxUuids);
      const interpretation: Interpretation = slack.request
        ? { kind: "cancel", request: slack.request }
        : answer(200, ephemeral(slackEscape(slack.usage ?? "")), "usage");
      return { interpretation, slack };
    }
    case "alertmanager":
    case "grafana":
      return { interpretation: interpretAlerts(raw, maxUuids) };
    default: {
      const parsed = parseCancelRequest(raw, maxUuids);
      return {
        interpretation: parsed.ok
          ? { kind: "cancel", request: parsed.request }
          : answer(400, { ...parsed.error }, parsed.error.error),
      };
    }
  }
}
