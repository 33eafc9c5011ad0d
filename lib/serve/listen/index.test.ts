import assert from "node:assert/strict";
import { ConfigError } from "../../config/config.ts";
import { closedByServer } from "../../../tests/serve/helpers.ts";
import {
  capAfterFdExhaustion,
  type ConnectionLimits,
  type GuardedServer,
  limitsFromEnv,
  listen,
  MAX_CONNECTIONS_CEILING,
} from "./index.ts";

const LIMITS: ConnectionLimits = {
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  maxConnections: 3,
};

function request(path: string): Uint8Array {
  return new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
}

async function withServer(
  limits: Partial<ConnectionLimits>,
  handler: (req: Request) => Response | Promise<Response>,
  fn: (server: GuardedServer, warnings: string[]) => Promise<void>,
): Promise<void> {
  const warnings: string[] = [];
  const server = listen({
    hostname: "127.0.0.1",
    port: 0,
    ...LIMITS,
    ...limits,
    onWarning: (m) => warnings.push(m),
  }, handler);
  try {
    await fn(server, warnings);
  } finally {
    await server.shutdown();
  }
}

Deno.test("capAfterFdExhaustion keeps a tenth (at least 32) of the descriptors free", () => {
  assert.equal(capAfterFdExhaustion(1000), 900);
  assert.equal(capAfterFdExhaustion(200), 168);
  assert.equal(capAfterFdExhaustion(10), 1);
});

Deno.test("limitsFromEnv: defaults, the deadline, overrides and one-line errors", () => {
  assert.deepEqual(limitsFromEnv({}, 10), {
    headerTimeoutMs: 10_000,
    idleTimeoutMs: 5_000,
    requestTimeoutMs: 60_000,
    maxConnections: MAX_CONNECTIONS_CEILING,
  });
  assert.equal(limitsFromEnv({}, 300).requestTimeoutMs, 310_000);
  assert.deepEqual(
    limitsFromEnv({
      CONTREE_WEBHOOK_HEADER_TIMEOUT: "0.5",
      CONTREE_WEBHOOK_IDLE_TIMEOUT: "1",
      CONTREE_WEBHOOK_REQUEST_TIMEOUT: "2",
      CONTREE_WEBHOOK_MAX_CONNECTIONS: "7",
    }, 10),
    { headerTimeoutMs: 500, idleTimeoutMs: 1000, requestTimeoutMs: 2000, maxConnections: 7 },
  );
  assert.throws(
    () => limitsFromEnv({ CONTREE_WEBHOOK_HEADER_TIMEOUT: "0" }, 10),
    (e) => e instanceof ConfigError && /CONTREE_WEBHOOK_HEADER_TIMEOUT must be/.test(e.message),
  );
  assert.throws(
    () => limitsFromEnv({ CONTREE_WEBHOOK_MAX_CONNECTIONS: "0" }, 10),
    (e) => e instanceof ConfigError && /CONTREE_WEBHOOK_MAX_CONNECTIONS must be/.test(e.message),
  );
  assert.throws(
    () => limitsFromEnv({ CONTREE_WEBHOOK_IDLE_TIMEOUT: "1e10" }, 10),
    (e) => e instanceof ConfigError && /<= 2147483/.test(e.message),
  );
});

Deno.test("listen: at the cap the oldest connection without a request is closed", async () => {
  await withServer({}, () => new Response("ok"), async (server, warnings) => {
    const port = server.addr.port;
    const idle = [];
    for (let i = 0; i < 3; i++) idle.push(await Deno.connect({ port }));
    try {
      const fresh = await Deno.connect({ port });
      await fresh.write(request("/"));
      assert.match(await closedByServer(fresh, 5_000), /^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/);
      fresh.close();
      assert.equal(await closedByServer(idle[0], 5_000), "", "the oldest idle one was closed");
      assert.equal(server.connections(), 2);
      assert.match(warnings.join("\n"), /Connection limit \(3\) reached/);
    } finally {
      for (const c of idle) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    }
  });
});

Deno.test("listen: when every connection is busy a new one is closed, in-flight ones finish", async () => {
  const release = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  await withServer({ maxConnections: 1 }, async () => {
    entered.resolve();
    await release.promise;
    return new Response("late");
  }, async (server, warnings) => {
    const port = server.addr.port;
    const busy = await Deno.connect({ port });
    await busy.write(request("/"));
    await entered.promise;
    const extra = await Deno.connect({ port });
    assert.equal(await closedByServer(extra, 5_000), "");
    extra.close();
    assert.match(warnings.join("\n"), /every connection busy/);
    release.resolve();
    assert.match(await closedByServer(busy, 5_000), /\r\n\r\nlate$/);
    busy.close();
  });
});

Deno.test("listen: a request over the request timeout has its connection closed", async () => {
  const never = Promise.withResolvers<Response>();
  await withServer({ requestTimeoutMs: 200 }, () => never.promise, async (server) => {
    const conn = await Deno.connect({ port: server.addr.port });
    await conn.write(request("/"));
    const started = Date.now();
    assert.equal(await closedByServer(conn, 5_000), "");
    assert.ok(Date.now() - started >= 150);
    conn.close();
    never.resolve(new Response("too late"));
  });
});

Deno.test("listen: shutdown closes idle connections and stops accepting", async () => {
  const server = listen({ hostname: "127.0.0.1", port: 0, ...LIMITS }, () => new Response("ok"));
  const port = server.addr.port;
  const idle = await Deno.connect({ port });
  await server.shutdown();
  assert.equal(await closedByServer(idle, 5_000), "");
  idle.close();
  await server.finished;
  await assert.rejects(() => Deno.connect({ port }));
});
