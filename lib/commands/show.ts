// `contree show`, `op show`, `op sh`: one row per operation, terminal results cached on disk.
import type { Client } from "../api/client.ts";
import { ApiError, ResponseError } from "../api/errors.ts";
import {
  fetchOperation,
  isObject,
  isOperation,
  isTerminal,
  type Operation,
} from "../api/operations.ts";
import { openOperationCache, type OperationCache } from "../session/cache.ts";
import type { CommandContext } from "../cli/spec.ts";
import { contreeHome } from "../config/config.ts";
import { log } from "../log/log.ts";
import { formatterFor } from "../output/cli.ts";
import { dumps } from "../output/pyjson.ts";
import { Interrupted } from "../ops/interrupted.ts";

/**
 * A stream object `{value, encoding, truncated}` as text; bad base64 throws.
 *
 * @example
 * ```ts
 * decodeStream({ value: "aGk=", encoding: "base64" }); // "hi"
 * decodeStream(null); // ""
 * ```
 */
export function decodeStream(stream: unknown, what = "stream"): string {
  if (!isObject(stream) || typeof stream.value !== "string" || stream.value === "") return "";
  if (stream.encoding !== "base64") return stream.value;
  // Like Python's non-validating b64decode: characters outside the alphabet are ignored.
  const clean = stream.value.replace(/[^A-Za-z0-9+/=]/g, "");
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(clean);
  } catch {
    throw new ResponseError(`Invalid base64 in ${what}: Incorrect padding`);
  }
  return new TextDecoder().decode(bytes);
}

/** `metadata.result` of an instance operation, if any. */
function sandboxResult(op: Record<string, unknown>): Record<string, unknown> | undefined {
  const meta = op.metadata;
  return isObject(meta) && isObject(meta.result) ? meta.result : undefined;
}

/**
 * Decoded sandbox stdout and stderr of an operation (empty strings when there are none).
 *
 * @example
 * ```ts
 * const op = { uuid: "u", metadata: { result: { stdout: { value: "aGk=", encoding: "base64" } } } };
 * const { stdout, stderr } = operationStreams(op); // "hi", ""
 * ```
 */
export function operationStreams(op: Record<string, unknown>): { stdout: string; stderr: string } {
  const result = sandboxResult(op);
  return {
    stdout: decodeStream(result?.stdout, `stdout of ${op.uuid}`),
    stderr: decodeStream(result?.stderr, `stderr of ${op.uuid}`),
  };
}

/**
 * The row `show` prints: every top-level field, plus `exit_code` (from
 * `metadata.result.state.exit_code` only), `image` and `tag` (from `result`, or `""`).
 *
 * @example
 * ```ts
 * showRow({ uuid: "u", status: "SUCCESS", result: { image: "i", tag: null } });
 * // { uuid: "u", status: "SUCCESS", result: {...}, exit_code: null, image: "i", tag: "" }
 * ```
 */
export function showRow(op: Record<string, unknown>): Record<string, unknown> {
  const state = sandboxResult(op)?.state;
  const result = isObject(op.result) ? op.result : {};
  return {
    ...op,
    exit_code: isObject(state) && Object.keys(state).length ? state.exit_code ?? null : null,
    image: result.image || "",
    tag: result.tag || "",
  };
}

/**
 * Fetches one operation, from the cache when it is there; terminal results are cached.
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
 * const fetch = () => Promise.resolve(Response.json({ uuid, status: "SUCCESS" })); // stand-in
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const op = await showOperation(client, uuid); // pass a cache: a finished op is fetched once
 * ```
 */
export async function showOperation(
  client: Client,
  uuid: string,
  cache?: OperationCache,
): Promise<Operation> {
  const cached = cache?.get(uuid);
  if (isOperation(cached)) return cached;
  const op = await fetchOperation(client, uuid);
  if (isTerminal(op.status)) cache?.put(uuid, op);
  return op;
}

/** Arguments of `show` / `op show`, as the command table parses them. */
export interface ShowArgs {
  /** `--raw`: each payload as one JSON line. */
  raw: boolean;
  /** The operations, already resolved from references to UUIDs. */
  uuids: string[];
}

/** The `show` / `op show` handler. */
export async function show(ctx: CommandContext<ShowArgs>): Promise<number> {
  const { io } = ctx;
  const { uuids, raw } = ctx.args;
  const format = ctx.globals.output_format;
  const streams = format === "default" || format === "json" || format === "json-pretty";
  // In JSON the decoded output goes into the row, so the document stays valid.
  const inRow = format === "json" || format === "json-pretty";
  const cache = ctx.profile
    ? openOperationCache(contreeHome(io.env), ctx.profile.name, io.env)
    : undefined;
  const formatter = formatterFor(format, io, { tail: ["error"] });
  let code = 0;
  try {
    for (const uuid of uuids) {
      if (ctx.interrupt.aborted) throw new Interrupted();
      let op: Operation;
      try {
        op = await showOperation(ctx.client, uuid, cache);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        log.error(`Failed to fetch ${uuid}: ${e.message}`);
        code = 1;
        continue;
      }
      if (raw) {
        io.stdout.write(`${dumps(op)}\n`);
        continue;
      }
      const row = showRow(op);
      const text = streams ? operationStreams(op) : undefined;
      if (inRow) Object.assign(row, text);
      formatter.configure({ tail: ["error"] });
      formatter.emit(row);
      formatter.flush();
      if (text && !inRow) {
        if (text.stdout) {
          io.stdout.write(text.stdout.endsWith("\n") ? text.stdout : `${text.stdout}\n`);
        }
        if (text.stderr) {
          io.stderr.write(text.stderr.endsWith("\n") ? text.stderr : `${text.stderr}\n`);
        }
      }
    }
  } finally {
    formatter.close();
    cache?.close();
  }
  return code;
}
