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

Access logs are JSON lines on stderr, one per request (-L warning hides them).
`;
}
