import assert from "node:assert/strict";
import { Metrics } from "./index.ts";

Deno.test("metrics render counters and a cumulative histogram", () => {
  const m = new Metrics();
  m.request("/v1/cancel", 200, 0.004);
  m.request("/v1/cancel", 200, 0.2);
  m.request("/v1/cancel", 401, 0.0005);
  m.cancellation("cancelled");
  m.cancellation("cancelled");
  m.cancellation("failed");
  m.upstreamError("502");
  m.rejected("signature does not match");
  const text = m.render({ contree_serve_inflight_deliveries: 3 });
  for (
    const line of [
      'contree_serve_requests_total{route="/v1/cancel",status="200"} 2',
      'contree_serve_requests_total{route="/v1/cancel",status="401"} 1',
      'contree_serve_request_duration_seconds_bucket{route="/v1/cancel",le="0.001"} 1',
      'contree_serve_request_duration_seconds_bucket{route="/v1/cancel",le="0.005"} 2',
      'contree_serve_request_duration_seconds_bucket{route="/v1/cancel",le="0.25"} 3',
      'contree_serve_request_duration_seconds_bucket{route="/v1/cancel",le="+Inf"} 3',
      'contree_serve_request_duration_seconds_count{route="/v1/cancel"} 3',
      'contree_serve_cancellations_total{outcome="cancelled"} 2',
      'contree_serve_cancellations_total{outcome="failed"} 1',
      'contree_serve_upstream_errors_total{kind="502"} 1',
      'contree_serve_rejected_signatures_total{reason="signature does not match"} 1',
      "contree_serve_inflight_deliveries 3",
    ]
  ) assert.ok(text.includes(line + "\n"), line);
  assert.match(text, /# TYPE contree_serve_request_duration_seconds histogram/);
});
