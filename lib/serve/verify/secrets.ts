// Secrets from the environment, each with a `…_FILE` twin naming a file that holds it (secrets
// mounted by systemd's LoadCredential, Docker or Kubernetes), so no secret has to sit in the
// process environment.
import type { Env } from "../../cli/io.ts";
import { FileReadError, readSmallFile } from "../../config/file.ts";
import {
  hmacKey,
  MIN_SECRET_BYTES,
  parseSecrets,
  SecretError,
  type WebhookSecrets,
} from "./index.ts";

/** Largest secret file read, in bytes: a secret is short; anything longer is a wrong path. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * The value of secret variable `name`: `$name`, or the contents of the file named by
 * `${name}_FILE` (one trailing newline removed). Both set, an unreadable file, or one larger
 * than {@link MAX_SECRET_FILE_BYTES} is a {@link SecretError} naming the variable and the path,
 * never the contents. Undefined when neither is set (or both are empty).
 *
 * @example
 * ```ts
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "s3cret-from-a-file\n");
 * readSecret({ CONTREE_WEBHOOK_BEARER_FILE: path }, "CONTREE_WEBHOOK_BEARER"); // "s3cret-from-a-file"
 * Deno.removeSync(path);
 * ```
 */
export function readSecret(env: Env, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) {
    throw new SecretError(`${name} and ${name}_FILE are both set: keep one`);
  }
  if (!file) return direct || undefined;
  let bytes: Uint8Array | undefined;
  try {
    bytes = readSmallFile(file, MAX_SECRET_FILE_BYTES);
  } catch (e) {
    if (e instanceof FileReadError) {
      throw new SecretError(`Cannot read ${name}_FILE '${file}': ${e.message}`);
    }
    throw e;
  }
  if (bytes === undefined) {
    throw new SecretError(`Cannot read ${name}_FILE '${file}': no such file`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SecretError(`${name}_FILE '${file}' is not UTF-8 text`);
  }
  text = text.replace(/\r?\n$/, "");
  return text === "" ? undefined : text;
}

/** Every sender's credentials, read and checked at start. */
export interface SenderSecrets {
  /** `CONTREE_WEBHOOK_SECRET`: Standard Webhooks and GitHub keys (empty lists when unset). */
  webhook: WebhookSecrets;
  /** `CONTREE_SLACK_SIGNING_SECRET`: Slack keys (space-separated secrets for rotation). */
  slack: CryptoKey[];
  /** `CONTREE_GRAFANA_SECRET`: Grafana HMAC keys. */
  grafana: CryptoKey[];
  /** `CONTREE_WEBHOOK_BEARER`: the Alertmanager / Grafana bearer token. */
  bearer?: string;
  /** `CONTREE_WEBHOOK_READ_TOKEN`: may read results. */
  readToken?: string;
  /** The secret texts, for masking in logs. */
  texts: string[];
}

async function keysOf(name: string, raw: string | undefined): Promise<CryptoKey[]> {
  const keys: CryptoKey[] = [];
  for (const [i, entry] of (raw ?? "").split(/\s+/).filter((s) => s !== "").entries()) {
    const bytes = new TextEncoder().encode(entry);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new SecretError(
        `${name} entry ${i + 1}: a secret must be at least ${MIN_SECRET_BYTES} bytes`,
      );
    }
    keys.push(await hmacKey(bytes));
  }
  return keys;
}

function token(name: string, raw: string | undefined): string | undefined {
  const t = raw?.trim();
  if (!t) return undefined;
  if (new TextEncoder().encode(t).length < MIN_SECRET_BYTES || /\s/.test(t)) {
    throw new SecretError(`${name} must be at least ${MIN_SECRET_BYTES} bytes, without spaces`);
  }
  return t;
}

/**
 * Reads every sender's secret from the environment (each variable or its `…_FILE` twin). At
 * least one way to authenticate a delivery must be configured; a secret shorter than 16 bytes is
 * refused. Throws {@link SecretError} with a one-line reason that never contains a secret.
 *
 * @example
 * ```ts
 * const s = await readSenderSecrets({ CONTREE_WEBHOOK_BEARER: "a-bearer-token-0123456789" });
 * s.bearer !== undefined; // true
 * s.webhook.github.length; // 0
 * ```
 */
export async function readSenderSecrets(env: Env): Promise<SenderSecrets> {
  const webhookText = readSecret(env, "CONTREE_WEBHOOK_SECRET");
  const slackText = readSecret(env, "CONTREE_SLACK_SIGNING_SECRET");
  const grafanaText = readSecret(env, "CONTREE_GRAFANA_SECRET");
  const bearer = token("CONTREE_WEBHOOK_BEARER", readSecret(env, "CONTREE_WEBHOOK_BEARER"));
  const readToken = readSecret(env, "CONTREE_WEBHOOK_READ_TOKEN");
  if (!webhookText && !slackText && !grafanaText && !bearer) {
    // The one message of earlier versions, which only knew this variable.
    await parseSecrets(undefined);
  }
  const webhook = webhookText ? await parseSecrets(webhookText) : { standard: [], github: [] };
  return {
    webhook,
    slack: await keysOf("CONTREE_SLACK_SIGNING_SECRET", slackText),
    grafana: await keysOf("CONTREE_GRAFANA_SECRET", grafanaText),
    ...(bearer ? { bearer } : {}),
    ...(readToken ? { readToken } : {}),
    texts: [webhookText, slackText, grafanaText, bearer, readToken]
      .flatMap((t) => (t ?? "").split(/\s+/))
      .filter((t) => t.length >= 4),
  };
}
