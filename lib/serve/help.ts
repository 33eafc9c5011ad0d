// `contree kill --serve --help`: the flags of the webhook server (hidden from `kill --help`, which
// must stay the original's text). Plain text only: this module loads no Hono.

/** The help screen of `<usageName> --serve`. */
export function serveHelp(usageName: string): string {
  return `usage: contree ${usageName} --serve [--hostname HOST] [--port PORT] [--state FILE]
       ${" ".repeat(usageName.length + 8)}[--deadline SECONDS]

Run a webhook server that cancels operations when a signed request arrives. It
uses the same cancel code, profile, token and URL as \`contree ${usageName}\`.

options:
  -h, --help          show this help message and exit
  --serve             Run the webhook server instead of cancelling UUIDs
  --hostname HOST     Address to listen on (default: 127.0.0.1)
  --port PORT         Port to listen on; 0 picks a free one (default: 8787).
                      The chosen address is logged on stderr at start.
  --state FILE        SQLite file that keeps answered deliveries, so a retried
                      delivery is not acted on again after a restart
                      (default: in memory only)
  --deadline SECONDS  Answer 202 and finish in the background when the cancels
                      take longer (default: 10)

endpoints:
  POST /v1/cancel       {"uuids": ["<uuid>", ...]} or {"all": true, "kind": "instance"}
                        signed with Standard Webhooks (webhook-id, webhook-timestamp,
                        webhook-signature) or GitHub (X-Hub-Signature-256,
                        X-GitHub-Delivery); Content-Type: application/json
  GET  /v1/cancel/{id}  result of a delivery (signed over its path, or
                        Authorization: Bearer $CONTREE_WEBHOOK_READ_TOKEN)
  GET  /healthz         liveness, no auth
  GET  /metrics         Prometheus text

environment variables:
  CONTREE_WEBHOOK_SECRET      Signing secrets, space-separated (required):
                              whsec_<base64> for Standard Webhooks, any other
                              value is a GitHub-style secret
  CONTREE_WEBHOOK_READ_TOKEN  Bearer token for GET /v1/cancel/{id}
  CONTREE_WEBHOOK_RATE        Requests per second per source on /v1/* (default:
                              10, burst twice that; 0 turns the limit off)
  CONTREE_WEBHOOK_UPSTREAM    API requests in flight, all deliveries (default: 32)
  CONTREE_WEBHOOK_GRACE       Seconds to finish in-flight cancels on SIGINT or
                              SIGTERM (default: 30)
  CONTREE_CONCURRENCY         DELETEs in flight for one delivery (default: 8)
  CONTREE_WEBHOOK_RETRY_FOR   Seconds a delivery answered 202 is retried in the
                              background, from its arrival (default: 3600)
  CONTREE_WEBHOOK_STORE_BYTES Bytes of delivery records kept; the oldest
                              finished ones go first (default: 67108864)
  CONTREE_WEBHOOK_HEADER_TIMEOUT
                              Seconds a connection has to send a complete
                              request head, else it is closed (default: 10)
  CONTREE_WEBHOOK_IDLE_TIMEOUT
                              Seconds a kept-alive connection may stay idle
                              after a response (default: 5)
  CONTREE_WEBHOOK_REQUEST_TIMEOUT
                              Seconds from a request head to the end of its
                              response (default: 60, or --deadline + 10)
  CONTREE_WEBHOOK_MAX_CONNECTIONS
                              Open connections at most; at the cap the oldest
                              one without a request in flight is closed
                              (default: 10000, lowered by itself below the
                              open-files limit when that is reached first)

Access logs are JSON lines on stderr, one per request (-L warning hides them).
`;
}
