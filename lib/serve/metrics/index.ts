// Prometheus metrics of the webhook server, rendered in the text exposition format (0.0.4).

/** Latency histogram bucket bounds, in seconds. */
export const LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

function escapeLabel(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/**
 * Counters and a latency histogram. Label values are short codes, bounded by construction:
 * routes are the route patterns (not paths), outcomes the four cancel statuses, upstream errors a
 * status code or `network`, rejections a reason code (`bad_signature`, `stale`, ...).
 *
 * @example
 * ```ts
 * const m = new Metrics();
 * m.request("/v1/cancel", 200, 0.004);
 * m.render().includes('contree_serve_requests_total{route="/v1/cancel",status="200"} 1'); // true
 * ```
 */
export class Metrics {
  #requests = new Map<string, number>();
  #cancellations = new Map<string, number>();
  #upstream = new Map<string, number>();
  #latency = new Map<string, Histogram>();
  #rejected = new Map<string, number>();

  /** Counts one answered request and its latency (seconds). */
  request(route: string, status: number, seconds: number): void {
    const key = `${route}\u0000${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(route);
    if (!h) {
      this.#latency.set(
        route,
        h = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 },
      );
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) h.counts[i]++;
    }
    h.sum += seconds;
    h.count++;
  }

  /** Counts one operation's cancel outcome. */
  cancellation(outcome: string): void {
    this.#cancellations.set(outcome, (this.#cancellations.get(outcome) ?? 0) + 1);
  }

  /** Counts one failed upstream API call: `kind` is its HTTP status or `network`. */
  upstreamError(kind: string): void {
    this.#upstream.set(kind, (this.#upstream.get(kind) ?? 0) + 1);
  }

  /** Counts a request refused by signature verification, by reason (a short code). */
  rejected(reason: string): void {
    this.#rejected.set(reason, (this.#rejected.get(reason) ?? 0) + 1);
  }

  /**
   * The Prometheus text exposition of everything counted so far, then the gauges in `extra`
   * (each with its `# HELP` text; a bare number gets a generic one).
   */
  render(extra: Record<string, number | { help: string; value: number }> = {}): string {
    const out: string[] = [];
    out.push(
      "# HELP contree_serve_requests_total HTTP requests answered, by route and status.",
      "# TYPE contree_serve_requests_total counter",
    );
    for (const [key, n] of this.#requests) {
      const [route, status] = key.split("\u0000");
      out.push(
        `contree_serve_requests_total{route="${escapeLabel(route)}",status="${status}"} ${n}`,
      );
    }
    out.push(
      "# HELP contree_serve_request_duration_seconds Time to answer a request, by route.",
      "# TYPE contree_serve_request_duration_seconds histogram",
    );
    for (const [route, h] of this.#latency) {
      const r = escapeLabel(route);
      LATENCY_BUCKETS.forEach((le, i) =>
        out.push(
          `contree_serve_request_duration_seconds_bucket{route="${r}",le="${le}"} ${h.counts[i]}`,
        )
      );
      out.push(
        `contree_serve_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${h.count}`,
        `contree_serve_request_duration_seconds_sum{route="${r}"} ${h.sum}`,
        `contree_serve_request_duration_seconds_count{route="${r}"} ${h.count}`,
      );
    }
    out.push(
      "# HELP contree_serve_cancellations_total Operations processed, by outcome.",
      "# TYPE contree_serve_cancellations_total counter",
    );
    for (const [outcome, n] of this.#cancellations) {
      out.push(`contree_serve_cancellations_total{outcome="${escapeLabel(outcome)}"} ${n}`);
    }
    out.push(
      "# HELP contree_serve_upstream_errors_total Failed ConTree API calls, by HTTP status or network.",
      "# TYPE contree_serve_upstream_errors_total counter",
    );
    for (const [kind, n] of this.#upstream) {
      out.push(`contree_serve_upstream_errors_total{kind="${escapeLabel(kind)}"} ${n}`);
    }
    out.push(
      "# HELP contree_serve_rejected_signatures_total Requests refused by signature verification.",
      "# TYPE contree_serve_rejected_signatures_total counter",
    );
    for (const [reason, n] of this.#rejected) {
      out.push(`contree_serve_rejected_signatures_total{reason="${escapeLabel(reason)}"} ${n}`);
    }
    for (const [name, gauge] of Object.entries(extra)) {
      const { help, value } = typeof gauge === "number" ? { help: "Gauge.", value: gauge } : gauge;
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
    }
    return out.join("\n") + "\n";
  }
}
