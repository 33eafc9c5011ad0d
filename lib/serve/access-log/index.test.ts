import assert from "node:assert/strict";
import { Hono } from "../../deps/hono.ts";
import { Metrics } from "../metrics/index.ts";
import type { ServeEnv } from "../types.ts";
import { accessLog, routeOf } from "./index.ts";

Deno.test("routeOf: known routes keep their label, everything else is 'other'", () => {
  assert.equal(routeOf("/v1/cancel"), "/v1/cancel");
  assert.equal(routeOf("/v1/cancel/x"), "/v1/cancel/:id");
  assert.equal(routeOf("/metrics"), "/metrics");
  assert.equal(routeOf("/v1/cancelx"), "other");
});

Deno.test("accessLog: one record per request, with the route's fields and a reason for a bare 4xx", async () => {
  const lines: Record<string, unknown>[] = [];
  const app = new Hono<ServeEnv>();
  app.use("*", accessLog({ metrics: new Metrics(), write: (f) => lines.push(f) }));
  app.get("/healthz", (c) => {
    c.get("logFields").extra = 1;
    return c.text("ok\n");
  });
  await (await app.request("/healthz")).text();
  await (await app.request("/" + "x".repeat(300))).text();
  assert.equal(lines.length, 2);
  assert.equal(lines[0].route, "/healthz");
  assert.equal(lines[0].status, 200);
  assert.equal(lines[0].extra, 1);
  assert.equal(lines[1].route, "other");
  assert.equal(lines[1].reason, "not_found");
  assert.equal(String(lines[1].path).length, 203);
});
