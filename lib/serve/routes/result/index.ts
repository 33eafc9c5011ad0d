// GET /v1/cancel/:id: a delivery's result, for the read token or a request signed like a delivery.
import type { Context, MiddlewareHandler } from "../../../deps/hono.ts";
import {
  type DeliveryRecord,
  type DeliveryStore,
  renderRecord,
  StoreBusyError,
} from "../../dedupe/index.ts";
import type { Deliveries } from "../../deliveries/index.ts";
import type { ServeEnv } from "../../types.ts";
import { send, unavailable } from "../respond.ts";

/** Options of {@link readAuth}. */
export interface ReadAuthOptions {
  /** Constant-time check of the read token; undefined when none is configured. */
  checkToken?: (token: string) => Promise<boolean>;
  /** The signature middleware a request without a bearer token must pass. */
  verify: MiddlewareHandler<ServeEnv>;
}

/**
 * Middleware: a `Bearer` read token (401 when not accepted), or else a signed request as
 * `verify` checks it; either way the request is then `authenticated`.
 */
export function readAuth(opts: ReadAuthOptions): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const auth = c.req.header("authorization");
    if (auth !== undefined && /^bearer /i.test(auth)) {
      if (opts.checkToken && await opts.checkToken(auth.slice(7).trim())) {
        c.set("authenticated", true);
        return next();
      }
      return c.json({ error: "unauthorized", message: "bearer token not accepted" }, 401);
    }
    return opts.verify(c, async () => {
      c.set("authenticated", true);
      await next();
    });
  };
}

/** Options of {@link resultRoute}. */
export interface ResultRouteOptions {
  /** The running deliveries (their records are the freshest). */
  deliveries: Deliveries;
  /** The stored deliveries. */
  store: DeliveryStore;
}

/** The handler of `GET /v1/cancel/:id`: the record as the delivery would be answered now. */
export function resultRoute(
  opts: ResultRouteOptions,
): (c: Context<ServeEnv, "/v1/cancel/:id">) => Response {
  return (c) => {
    const id = c.req.param("id");
    const mine = opts.deliveries.active(id);
    if (mine) return send(c, renderRecord(mine));
    let known: DeliveryRecord | undefined;
    try {
      known = opts.store.get(id);
    } catch (e) {
      if (!(e instanceof StoreBusyError)) throw e;
      return unavailable(c, "store_busy", `${e.message}; retry`);
    }
    if (known) return send(c, renderRecord(known, known.state === "retrying" && !known.accepted));
    return c.json({ error: "not_found", message: "no delivery with this id is known" }, 404);
  };
}
