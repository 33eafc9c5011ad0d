// Runs the emulator standalone: `deno task emulator [--port N] [--seed N] [--prefix /api]`.
import { parseArgs } from "node:util";
import { startEmulator } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    seed: { type: "string", default: "5" },
    prefix: { type: "string", default: "" },
    token: { type: "string", default: "test-token" },
  },
});
const emu = await startEmulator({
  port: Number(values.port),
  prefix: values.prefix,
  token: values.token,
});
const n = Number(values.seed);
for (const status of ["PENDING", "ASSIGNED", "EXECUTING", "SUCCESS"]) emu.seed(n, { status });
Deno.stderr.writeSync(
  new TextEncoder().encode(
    `ConTree API emulator on ${emu.url} (token: ${emu.token}); ${emu.ops.size} operations. Ctrl-C stops it.\n`,
  ),
);
