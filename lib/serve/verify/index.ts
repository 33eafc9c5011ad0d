// Webhook signature verification over the raw body, in constant time (Web Crypto's HMAC verify),
// before anything parses it: Standard Webhooks and GitHub's `X-Hub-Signature-256`.
import type { Context, MiddlewareHandler } from "../../deps/hono.ts";
import type { Delivery, Scheme, ServeEnv } from "../types.ts";

export type { Delivery, Scheme };

/** HMAC keys per scheme, imported once at start-up (the secret text is not kept). */
export interface WebhookSecrets {
  /** From `whsec_<base64>` entries: Standard Webhooks. */
  standard: CryptoKey[];
  /** From any other entry, used as raw UTF-8 text: GitHub style. */
  github: CryptoKey[];
}

/** A configuration problem with the secrets; its message never contains a secret. */
export class SecretError extends Error {
  /** The error class name. */
  override name = "SecretError";
}

/**
 * Why a request was refused, as a short stable code (access log, metrics label, `reason` field):
 * `missing_signature` (no header of any scheme), `missing_header`, `malformed_header`, `stale`
 * (a signed timestamp outside the window), `no_secret` (no secret configured for that scheme),
 * `bad_signature` (well-formed, but no configured secret made it), `bad_token` (a bearer token).
 */
export type RejectCode =
  | "missing_signature"
  | "missing_header"
  | "malformed_header"
  | "stale"
  | "no_secret"
  | "bad_signature"
  | "bad_token";

/** The result of a check: a delivery, or a problem (and its code) that is safe to show the sender. */
export type Verification = { ok: true; delivery: Delivery } | {
  ok: false;
  problem: string;
  code: RejectCode;
};

/** A refusal: a message for the sender and its short code. */
export function reject(code: RejectCode, problem: string): Verification {
  return { ok: false, problem, code };
}

/** Shortest GitHub-style (and Slack, Grafana) secret accepted at start, in bytes. */
export const MIN_SECRET_BYTES = 16;

/** Allowed clock skew for `webhook-timestamp`, either way (Standard Webhooks recommends 5 minutes). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
/** At most this many entries in one `webhook-signature` header are looked at. */
const MAX_SIGNATURES = 16;
const MAX_ID_LENGTH = 256;
const SAFE_ID = /^[\x21-\x7e]+$/;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A signature value: base64 or base64url, padded or not. */
const LOOSE_BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Decodes a signature in any base64 spelling; undefined when it is not base64 at all. */
function signatureBytes(text: string): Uint8Array | undefined {
  if (!LOOSE_BASE64.test(text)) return undefined;
  let std = text.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/");
  if (std.length % 4 === 1) return undefined;
  while (std.length % 4) std += "=";
  return decodeBase64(std);
}

const encoder = new TextEncoder();

function base64Bytes(text: string): Uint8Array | undefined {
  if (!STRICT_BASE64.test(text)) return undefined;
  return decodeBase64(text);
}

function decodeBase64(text: string): Uint8Array {
  return Uint8Array.fromBase64(text);
}

/** Bytes of an even-length hex string (already validated by the caller). */
export function hexBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** An HMAC-SHA256 key for signing and verifying. */
export function hmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    raw as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
      "verify",
    ],
  );
}

/**
 * Parses `CONTREE_WEBHOOK_SECRET`: secrets separated by whitespace (several for key rotation).
 * `whsec_<base64>` is a Standard Webhooks secret (at least 16 bytes); anything else is used as-is
 * (GitHub style, at least 16 bytes, so a GitHub secret cannot contain spaces). Throws {@link SecretError} (naming the entry's position,
 * never its value) when there is none or one is malformed.
 *
 * @example
 * ```ts
 * const secrets = await parseSecrets("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw my-github-secret-0123");
 * secrets.standard.length; // 1
 * secrets.github.length; // 1
 * ```
 */
export async function parseSecrets(raw: string | undefined): Promise<WebhookSecrets> {
  const entries = (raw ?? "").split(/\s+/).filter((s) => s !== "");
  if (!entries.length) {
    throw new SecretError(
      "CONTREE_WEBHOOK_SECRET is not set: the server refuses to start without a signing secret (or CONTREE_SLACK_SIGNING_SECRET, CONTREE_WEBHOOK_BEARER, CONTREE_GRAFANA_SECRET)",
    );
  }
  const secrets: WebhookSecrets = { standard: [], github: [] };
  for (const [i, entry] of entries.entries()) {
    if (entry.startsWith("whsec_")) {
      const bytes = base64Bytes(entry.slice(6));
      if (!bytes || bytes.length < 16) {
        throw new SecretError(
          `CONTREE_WEBHOOK_SECRET entry ${
            i + 1
          }: a whsec_ secret must be base64 of at least 16 bytes`,
        );
      }
      secrets.standard.push(await hmacKey(bytes));
    } else {
      const bytes = encoder.encode(entry);
      if (bytes.length < MIN_SECRET_BYTES) {
        throw new SecretError(
          `CONTREE_WEBHOOK_SECRET entry ${
            i + 1
          }: a GitHub-style secret must be at least ${MIN_SECRET_BYTES} bytes (GitHub recommends a long random string)`,
        );
      }
      secrets.github.push(await hmacKey(bytes));
    }
  }
  return secrets;
}

/**
 * Whether any signature is an HMAC of `data` under any key, checked in constant time (Web
 * Crypto's verify) and without an early exit.
 */
export async function anyMatches(
  keys: readonly CryptoKey[],
  signatures: readonly Uint8Array[],
  data: Uint8Array,
): Promise<boolean> {
  let ok = false;
  // Every pair is checked (no early exit on the key that matched) to keep timing uniform.
  for (const key of keys) {
    for (const sig of signatures) {
      if (await crypto.subtle.verify("HMAC", key, sig as BufferSource, data as BufferSource)) {
        ok = true;
      }
    }
  }
  return ok;
}

/** A delivery id is 1-256 printable ASCII characters; otherwise the refusal to answer. */
export function checkId(id: string | null | undefined, header: string): Verification | undefined {
  if (!id) return reject("missing_header", `missing ${header} header`);
  if (id.length > MAX_ID_LENGTH || !SAFE_ID.test(id)) {
    return reject(
      "malformed_header",
      `malformed ${header} header (1-${MAX_ID_LENGTH} printable ASCII characters)`,
    );
  }
}

/** Headers of a Standard Webhooks request. */
export interface StandardHeaders {
  /** `webhook-id`. */
  id?: string | null;
  /** `webhook-timestamp`, Unix seconds. */
  timestamp?: string | null;
  /** `webhook-signature`: space-separated `v1,<base64>` entries. */
  signature?: string | null;
}

/**
 * Verifies a Standard Webhooks request: `webhook-signature` holds space-separated `v1,<base64>`
 * entries, each an HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}`; one matching entry
 * for one key is enough. The timestamp must be within {@link TIMESTAMP_TOLERANCE_SECONDS} of `now`.
 *
 * @example
 * ```ts
 * const { standard } = await parseSecrets("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
 * const v = await verifyStandardWebhook(standard, {
 *   id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
 *   timestamp: "1614265330",
 *   signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
 * }, new TextEncoder().encode('{"test": 2432232314}'), 1614265330_000);
 * v.ok; // true
 * ```
 */
export async function verifyStandardWebhook(
  keys: readonly CryptoKey[],
  headers: StandardHeaders,
  body: Uint8Array,
  now = Date.now(),
): Promise<Verification> {
  const idProblem = checkId(headers.id, "webhook-id");
  if (idProblem) return idProblem;
  if (!headers.timestamp) return reject("missing_header", "missing webhook-timestamp header");
  if (!/^\d{1,12}$/.test(headers.timestamp)) {
    return reject(
      "malformed_header",
      "malformed webhook-timestamp header (Unix seconds expected)",
    );
  }
  const ts = Number(headers.timestamp);
  if (Math.abs(now / 1000 - ts) > TIMESTAMP_TOLERANCE_SECONDS) {
    return reject("stale", "webhook-timestamp is outside the 5-minute tolerance window");
  }
  if (!headers.signature) return reject("missing_header", "missing webhook-signature header");
  const signatures: Uint8Array[] = [];
  for (const entry of headers.signature.split(" ").slice(0, MAX_SIGNATURES)) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue; // other versions: not ours
    // Any base64 is a well-formed signature: one of the wrong length simply does not match.
    const bytes = signatureBytes(entry.slice(comma + 1));
    if (bytes) signatures.push(bytes);
  }
  if (!signatures.length) {
    return reject(
      "malformed_header",
      "malformed webhook-signature header (space-separated v1,<base64> entries expected)",
    );
  }
  if (!keys.length) {
    return reject("no_secret", "no whsec_ secret is configured for Standard Webhooks signatures");
  }
  const prefix = encoder.encode(`${headers.id}.${headers.timestamp}.`);
  const data = new Uint8Array(prefix.length + body.length);
  data.set(prefix);
  data.set(body, prefix.length);
  if (!await anyMatches(keys, signatures, data)) {
    return reject("bad_signature", "signature does not match");
  }
  return { ok: true, delivery: { scheme: "standard", id: headers.id!, timestamp: ts } };
}

/** Headers of a GitHub-style request. */
export interface GithubHeaders {
  /** `X-Hub-Signature-256`: `sha256=<hex>`. */
  signature?: string | null;
  /** `X-GitHub-Delivery`: the delivery id. */
  delivery?: string | null;
}

/**
 * Verifies GitHub's `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of the body alone, with
 * `X-GitHub-Delivery` as the delivery id. GitHub signs neither the id nor a time, so there is no
 * timestamp window for this scheme: replays are caught only by the delivery id's dedupe.
 *
 * @example
 * ```ts
 * const { github } = await parseSecrets("an-example-secret-of-some-length");
 * const v = await verifyGithubWebhook(github, {
 *   signature: "sha256=" + "00".repeat(32),
 *   delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
 * }, new TextEncoder().encode("Hello, World!"));
 * v.ok; // false: the signature does not match
 * ```
 */
export async function verifyGithubWebhook(
  keys: readonly CryptoKey[],
  headers: GithubHeaders,
  body: Uint8Array,
): Promise<Verification> {
  if (!headers.signature) return reject("missing_header", "missing X-Hub-Signature-256 header");
  // Any even-length hex is well-formed: one of the wrong length simply does not match.
  if (!/^sha256=(?:[0-9a-fA-F]{2}){1,64}$/.test(headers.signature)) {
    return reject(
      "malformed_header",
      "malformed X-Hub-Signature-256 header (sha256=<64 hex> expected)",
    );
  }
  const idProblem = checkId(headers.delivery, "X-GitHub-Delivery");
  if (idProblem) return idProblem;
  if (!keys.length) {
    return reject("no_secret", "no GitHub-style secret is configured for X-Hub-Signature-256");
  }
  if (!await anyMatches(keys, [hexBytes(headers.signature.slice(7))], body)) {
    return reject("bad_signature", "signature does not match");
  }
  return { ok: true, delivery: { scheme: "github", id: headers.delivery! } };
}

/** The refusal of a request that no sender's headers were found on. */
export const MISSING_SIGNATURE =
  "missing signature: send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks) or X-Hub-Signature-256 and X-GitHub-Delivery (GitHub)";

/**
 * Verifies a request signed with either scheme: Standard Webhooks when any `webhook-*` header is
 * present, otherwise GitHub's. `body` is the raw bytes that were signed.
 */
export function verifyRequest(
  secrets: WebhookSecrets,
  headers: Headers,
  body: Uint8Array,
  now = Date.now(),
): Promise<Verification> {
  if (
    headers.has("webhook-signature") || headers.has("webhook-id") ||
    headers.has("webhook-timestamp")
  ) {
    return verifyStandardWebhook(
      secrets.standard,
      {
        id: headers.get("webhook-id"),
        timestamp: headers.get("webhook-timestamp"),
        signature: headers.get("webhook-signature"),
      },
      body,
      now,
    );
  }
  if (headers.has("x-hub-signature-256")) {
    return verifyGithubWebhook(secrets.github, {
      signature: headers.get("x-hub-signature-256"),
      delivery: headers.get("x-github-delivery"),
    }, body);
  }
  return Promise.resolve(reject("missing_signature", MISSING_SIGNATURE));
}

/**
 * Signs like a Standard Webhooks sender: returns the `webhook-signature` value `v1,<base64>`.
 *
 * @example
 * ```ts
 * await signStandardWebhook(
 *   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
 *   "msg_p5jXN8AQM9LWM0D4loKWxJek",
 *   1614265330,
 *   '{"test": 2432232314}',
 * ); // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
 * ```
 */
export async function signStandardWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): Promise<string> {
  const bytes = base64Bytes(secret.replace(/^whsec_/, ""));
  if (!bytes) throw new SecretError("not a whsec_/base64 secret");
  const key = await hmacKey(bytes);
  // The signed content is `${id}.${timestamp}.` followed by the body's exact bytes: a byte body
  // is never decoded as text (that would change a body that is not valid UTF-8).
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const payload = typeof body === "string" ? encoder.encode(body) : body;
  const data = new Uint8Array(prefix.length + payload.length);
  data.set(prefix);
  data.set(payload, prefix.length);
  const mac = await crypto.subtle.sign("HMAC", key, data as BufferSource);
  return `v1,${new Uint8Array(mac).toBase64()}`;
}

/**
 * Signs like GitHub: returns the `X-Hub-Signature-256` value `sha256=<hex>`.
 *
 * @example
 * ```ts
 * await signGithubWebhook("It's a Secret to Everybody", "Hello, World!");
 * // "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
 * ```
 */
export async function signGithubWebhook(
  secret: string,
  body: string | Uint8Array,
): Promise<string> {
  const key = await hmacKey(encoder.encode(secret));
  const data = typeof body === "string" ? encoder.encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, data as BufferSource));
  return `sha256=${mac.toHex()}`;
}

/** Options for {@link verifySignature}. */
export interface VerifySignatureOptions {
  /** The Standard Webhooks and GitHub secrets a request may be signed with. */
  secrets: WebhookSecrets;
  /** Clock for the timestamp window (tests). */
  now?: () => number;
  /**
   * What a request without a body signs (GET): by default its path, so a signed GET is bound to
   * the one delivery it asks about.
   */
  emptyBodyPayload?: (path: string) => Uint8Array;
  /** Called on a rejected request (metrics): the problem's short code. */
  onReject?: (code: RejectCode) => void;
}

/**
 * The `401` of a refused request: `{"error": "unauthorized", "reason": <code>, "message": ...}`;
 * the code also goes to the access log (`reason`) and to `onReject`.
 */
export function unauthorized(
  c: Context<ServeEnv>,
  v: Extract<Verification, { ok: false }>,
  onReject?: (code: RejectCode) => void,
): Response {
  onReject?.(v.code);
  const fields = c.get("logFields");
  if (fields) fields.reason = v.code;
  return c.json({ error: "unauthorized", reason: v.code, message: v.problem }, 401);
}

/**
 * Hono middleware: reads the raw body (after the body limit), verifies it with either scheme and
 * answers 401 with a JSON error naming the problem (never a secret or an expected signature).
 * On success the delivery and the raw body are in `c.var.delivery` / `c.var.rawBody`.
 */
export function verifySignature(opts: VerifySignatureOptions): MiddlewareHandler<ServeEnv> {
  const now = opts.now ?? Date.now;
  const emptyPayload = opts.emptyBodyPayload ?? ((path: string) => encoder.encode(path));
  return async (c, next) => {
    const raw = c.req.raw.body ? new Uint8Array(await c.req.arrayBuffer()) : new Uint8Array(0);
    const signed = c.req.method === "GET" || c.req.method === "HEAD"
      ? emptyPayload(c.req.path)
      : raw;
    const v = await verifyRequest(opts.secrets, c.req.raw.headers, signed, now());
    if (!v.ok) return unauthorized(c, v, opts.onReject);
    c.set("delivery", v.delivery);
    c.set("rawBody", raw);
    await next();
  };
}
