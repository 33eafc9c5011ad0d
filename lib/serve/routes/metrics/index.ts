// GET /metrics: the Prometheus text of the counters plus gauges of the deliveries and the store.
import type { Context } from "../../../deps/hono.ts";
import { type DeliveryStore, StoreBusyError } from "../../dedupe/index.ts";
import type { Deliveries } from "../../deliveries/index.ts";
import type { Metrics } from "../../metrics/index.ts";
import type { ServeEnv } from "../../types.ts";

/** Options of {@link metricsRoute}. */
export interface MetricsRouteOptions {
  /** The counters and histograms. */
  metrics: Metrics;
  /** The running deliveries (a gauge). */
  deliveries: Deliveries;
  /** The store (gauges of its size; left out while its file is locked). */
  store: DeliveryStore;
}

/** The handler of `GET /metrics` (Prometheus text format 0.0.4). */
export function metricsRoute(opts: MetricsRouteOptions): (c: Context<ServeEnv>) => Response {
  const { metrics, deliveries, store } = opts;
  return (c) => {
    let size = -1;
    let bytes = -1;
    try {
      size = store.size();
      bytes = store.bytes();
    } catch (e) {
      if (!(e instanceof StoreBusyError)) throw e;
    }
    return c.text(
      metrics.render({
        contree_serve_deliveries_running: {
          help: "Deliveries this process is working on.",
          value: deliveries.running(),
        },
        ...(size >= 0
          ? { contree_serve_deliveries_stored: { help: "Delivery records kept.", value: size } }
          : {}),
        ...(bytes >= 0
          ? {
            contree_serve_store_bytes: {
              help: "Bytes of the delivery records kept.",
              value: bytes,
            },
          }
          : {}),
        contree_serve_store_pending_writes: {
          help: "Record writes queued because the --state file was locked.",
          value: store.pendingWrites(),
        },
      }),
      200,
      { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    );
  };
}
