// POST /v1/cancel, after the sender, body-size, signature and rate-limit middlewares: interprets
// the verified body by its sender and runs the delivery under the contract — 200 final, 202 kept
// working on in the background, 503 + Retry-After for the sender's retry. Slack always gets a 200
// ephemeral message within its 3 s and the final result later at its response_url.
import { createHash } from "node:crypto";
import type { Context } from "../../../deps/hono.ts";
import { log } from "../../../log/log.ts";
import { renderRecord } from "../../dedupe/index.ts";
import type { Deliveries, RunResult } from "../../deliveries/index.ts";
import { interpretDelivery } from "../../senders/index.ts";
import {
  ephemeral,
  postSlackResponse,
  SLACK_ANSWER_MS,
  slackEscape,
  slackSummary,
} from "../../senders/slack/index.ts";
import type { ServeEnv } from "../../types.ts";
import { refused, send } from "../respond.ts";

/** Options of {@link cancelRoute}. */
export interface CancelRouteOptions {
  /** Runs the deliveries. */
  deliveries: Deliveries;
  /** Most UUIDs one delivery may name. */
  maxUuids: number;
  /** Answer 202 and finish in the background when a delivery takes longer (milliseconds). */
  deadlineMs: number;
  /** Only Slack `response_url`s under this prefix are followed. */
  slackResponsePrefix?: string;
  /** The `fetch` used for Slack `response_url`s (tests). */
  fetch?: typeof fetch;
}

/**
 * SHA-256 of the body, hex. node:crypto's synchronous hash: Web Crypto's `digest` is a round trip
 * through a worker thread, about 60 µs for a small body against about 1 µs here.
 */
function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Puts a run's flags into the access-log fields, in the order they were always logged. */
function note(c: Context<ServeEnv>, run: RunResult): void {
  const fields = c.get("logFields");
  if (run.replay) fields.replay = true;
  if ("deadlineExceeded" in run && run.deadlineExceeded) fields.deadline_exceeded = true;
}

/** The handler of `POST /v1/cancel` (needs `delivery`, `rawBody` and `logFields` set). */
export function cancelRoute(
  opts: CancelRouteOptions,
): (c: Context<ServeEnv>) => Promise<Response> {
  const { deliveries } = opts;
  return async (c) => {
    const d = c.get("delivery");
    const raw = c.get("rawBody");
    const fields = c.get("logFields");
    const { interpretation, slack, event } = interpretDelivery(
      d.scheme,
      c.req.raw.headers,
      raw,
      opts.maxUuids,
    );
    if (event !== undefined) fields.event = event;
    if (interpretation.kind === "answer") {
      if (interpretation.reason) fields.reason = interpretation.reason;
      return c.json(interpretation.body, interpretation.status);
    }
    // Slack (its scheme is the only one that sets `slack`) always gets a 200 with an ephemeral
    // message within its 3 s; an unfinished delivery is retried in the background and its result
    // POSTed to the response_url.
    const run = await deliveries.run({
      id: d.id,
      hash: sha256Hex(raw),
      request: interpretation.request,
      sender: d.scheme,
      deadlineMs: slack ? Math.min(opts.deadlineMs, SLACK_ANSWER_MS) : opts.deadlineMs,
      acceptNow: slack !== undefined,
    });
    note(c, run);
    if (!slack) return "refused" in run ? refused(c, run.refused) : send(c, run.rendered);
    if ("refused" in run) {
      // The refusal's log reason and Retry-After header stay on Slack's 200.
      refused(c, run.refused);
      return c.json(ephemeral(slackEscape(`Not done: ${run.refused.message}`)), 200);
    }
    // Read the state now: the delivery may have finished since the deadline passed.
    const final = run.record.state === "final";
    const result = JSON.parse(final ? renderRecord(run.record).body : run.rendered.body);
    if (!final) {
      const url = slack.responseUrl;
      if (url) {
        deliveries.onFinal(d.id, (r) => {
          const text = slackSummary(JSON.parse(renderRecord(r).body));
          deliveries.track(
            postSlackResponse(url, ephemeral(text), {
              prefix: opts.slackResponsePrefix,
              fetch: opts.fetch,
            }).then((outcome) => {
              if (outcome !== "ok") log.warning(`Slack delivery ${d.id}: ${outcome}`);
            }),
          );
        });
      }
    }
    return c.json(ephemeral(slackSummary(result)), 200);
  };
}

/** `/v1/cancel` with any method but POST: 405 with `Allow: POST`. */
export function methodNotAllowed(c: Context<ServeEnv>): Response {
  c.header("Allow", "POST");
  return c.json({ error: "method_not_allowed", message: "use POST" }, 405);
}
