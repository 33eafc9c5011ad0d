// Runs the emulator standalone: `deno task emulator [--port N] [--seed N] [--kinds K,K]
// [--max-age AGE] [--latency MS] [--prefix /api] [--token T]`; `--help` lists the flags.
import { parseArgs } from "node:util";
import { startEmulator } from "./server.ts";

const HELP = `usage: deno task emulator [--port PORT] [--seed N] [--kinds KIND[,KIND]]
                          [--max-age AGE] [--latency MS] [--prefix PATH] [--token TOKEN]

A local ConTree API (the operations endpoints) on 127.0.0.1 with seeded operations, for trying
contree without an account. Nothing leaves the machine; Ctrl-C stops it.

options:
  -h, --help        show this help message and exit
  --port PORT       port to listen on; 0 picks a free one (default: 8080)
  --seed N          operations seeded per status PENDING, ASSIGNED, EXECUTING and SUCCESS
                    (default: 5)
  --kinds K[,K]     kinds given to the seeded operations in turn (default: instance;
                    e.g. instance,image_import)
  --max-age AGE     spread created_at evenly over the last AGE (30m, 12h, 3d; default: fixed
                    times on 2026-01-01), so --since/--until/--older-than have something to do
  --latency MS      milliseconds added to every answer (default: 0), to watch progress and Ctrl-C
  --prefix PATH     serve the API under this path, e.g. /api (default: none)
  --token TOKEN     the bearer token it accepts (default: test-token)

point contree at it (no auth.ini needed):
  export CONTREE_URL=http://127.0.0.1:8080 CONTREE_TOKEN=test-token
  contree ps -a
or write $CONTREE_HOME/auth.ini (default ~/.config/contree/auth.ini):
  [profile:default]
  type = jwt
  url = http://127.0.0.1:8080
  token = test-token
`;

const encoder = new TextEncoder();
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(text));

/** One line on stderr and the exit status; never a stack trace. */
function fail(message: string, code: number): never {
  say(`emulator: error: ${message}\n`);
  Deno.exit(code);
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, M: 2592000, y: 31536000 };

/** `3d`, `12h`, `1d12h`, bare seconds: in milliseconds. */
function duration(flag: string, raw: string): number {
  if (!/^(\d+[smhdMy]?)+$/.test(raw)) fail(`${flag}: invalid duration: '${raw}' (e.g. 3d, 12h)`, 2);
  let seconds = 0;
  for (const m of raw.matchAll(/(\d+)([smhdMy]?)/g)) seconds += Number(m[1]) * (UNITS[m[2]] ?? 1);
  return seconds * 1000;
}

function count(flag: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    fail(`${flag}: expected 0 to ${max}, got '${raw}'`, 2);
  }
  return Number(raw);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      help: { type: "boolean", short: "h" },
      port: { type: "string", default: "8080" },
      seed: { type: "string", default: "5" },
      kinds: { type: "string", default: "instance" },
      "max-age": { type: "string" },
      latency: { type: "string", default: "0" },
      prefix: { type: "string", default: "" },
      token: { type: "string", default: "test-token" },
    },
  }));
} catch (e) {
  fail((e as Error).message.split("\n")[0], 2);
}
if (values.help) {
  Deno.stdout.writeSync(encoder.encode(HELP));
  Deno.exit(0);
}
const port = count("--port", values.port, 65535);
const perStatus = count("--seed", values.seed, 100_000);
const latencyMs = count("--latency", values.latency, 60_000);
const kinds = values.kinds.split(",").map((k) => k.trim()).filter(Boolean);
if (!kinds.length || kinds.some((k) => !/^[\w.-]+$/.test(k))) {
  fail(`--kinds: expected names separated by commas, got '${values.kinds}'`, 2);
}
const maxAge = values["max-age"] === undefined
  ? undefined
  : duration("--max-age", values["max-age"]);

let emu;
try {
  emu = await startEmulator({ port, prefix: values.prefix, token: values.token, latencyMs });
} catch (e) {
  if (e instanceof Deno.errors.AddrInUse) {
    fail(
      `port ${port} on 127.0.0.1 is already in use (pick another with --port, or 0 for any free one)`,
      1,
    );
  }
  fail(e instanceof Error ? e.message : String(e), 1);
}
const statuses = ["PENDING", "ASSIGNED", "EXECUTING", "SUCCESS"];
const total = statuses.length * perStatus;
const now = Date.now();
let i = 0;
for (const status of statuses) {
  for (let n = 0; n < perStatus; n++, i++) {
    const fields: Record<string, string> = { status, kind: kinds[i % kinds.length] };
    if (maxAge !== undefined) {
      // Evenly spread, interleaved across statuses: every status has old and new operations.
      const rank = (n * statuses.length + statuses.indexOf(status) + 1) / (total + 1);
      fields.created_at = fields.updated_at = new Date(now - maxAge * rank).toISOString();
    }
    emu.add(fields);
  }
}
say(
  `ConTree API emulator on ${emu.url} (token: ${emu.token}); ${emu.ops.size} operations. Ctrl-C stops it.\n` +
    `Point contree at it: export CONTREE_URL=${emu.url} CONTREE_TOKEN=${emu.token}\n`,
);
