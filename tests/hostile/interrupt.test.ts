// Issue 10 item 7: Ctrl-C (and SIGTERM) reach every request, retry back-off and poll sleep.
import assert from "node:assert/strict";
import { lines, makeHome, NO_CHILD_SIGNALS, spawnContree } from "../helpers.ts";
import { type FakeServer, hang, jsonResponse, readAll, readUntil, startFake } from "./fake.ts";

const A = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
const uuid = (i: number) => `019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}`;
/** Generous: the requirement is 1 s; a loaded CI machine gets three. */
const EXIT_BOUND_MS = 3000;

interface Stopped {
  code: number;
  stdout: string;
  stderr: string;
  /** Milliseconds from the signal to the exit. */
  ms: number;
}

/** Spawns contree, sends `signal` once `ready` resolves, and measures how long it takes to end. */
async function interruptAfter(
  args: string[],
  home: string,
  ready: (stderr: ReadableStreamDefaultReader<string>) => Promise<string>,
  opts: { env?: Record<string, string>; signal?: Deno.Signal } = {},
): Promise<Stopped> {
  const child = spawnContree(args, { home, env: opts.env });
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const stdout = new Response(child.stdout).text();
  let killer: ReturnType<typeof setTimeout> | undefined;
  try {
    const before = await ready(reader);
    const sent = performance.now();
    child.kill(opts.signal ?? "SIGINT");
    // Whatever happens, the child does not outlive the test.
    killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const stderr = await readAll(reader, before);
    const { code } = await child.status;
    return { code, stdout: await stdout, stderr, ms: performance.now() - sent };
  } finally {
    clearTimeout(killer);
  }
}

/**
 * A fake whose every request hangs (10 s — well past the exit bound — or until the fake closes).
 */
function hangingApi(): FakeServer {
  const api: FakeServer = startFake(async () => {
    await hang(10_000, api.closed);
    return jsonResponse([]);
  });
  return api;
}

const cases: [string, string[], string, Deno.Signal][] = [
  ["ps", ["ps"], "/v1/operations?", "SIGINT"],
  ["show", ["show", A], `/v1/operations/${A}`, "SIGINT"],
  ["op wait", ["op", "wait", A], `/v1/operations/${A}`, "SIGINT"],
  ["kill --all (listing)", ["kill", "--all"], "status=PENDING", "SIGINT"],
  ["ps", ["ps"], "/v1/operations?", "SIGTERM"],
  ["op wait", ["op", "wait", A], `/v1/operations/${A}`, "SIGTERM"],
];
for (const [name, args, part, signal] of cases) {
  Deno.test({
    name: `${signal} during a slow GET of ${name}: User interrupted, exit 130 at once`,
    ignore: NO_CHILD_SIGNALS,
  }, async () => {
    const api = hangingApi();
    const home = makeHome([{ token: "tok", url: api.url }]);
    try {
      const r = await interruptAfter(args, home, async () => {
        await api.waitFor("GET", part);
        return "";
      }, { signal });
      assert.equal(r.code, 130, r.stderr);
      const waiting = args[0] === "op"
        ? [`[WARNING] Stopped waiting: 1 operation(s) not finished: ${A}`]
        : [];
      assert.deepEqual(lines(r.stderr), [...waiting, "[ERROR] User interrupted"]);
      assert.ok(r.ms < EXIT_BOUND_MS, `exited ${r.ms.toFixed(0)} ms after ${signal}`);
    } finally {
      await api.close();
      Deno.removeSync(home, { recursive: true });
    }
  });
}

for (const args of [["ps"], ["show", A], ["kill", A]]) {
  Deno.test({
    name: `Ctrl-C during a retry back-off of ${args[0]}: exit 130 at once`,
    ignore: NO_CHILD_SIGNALS,
  }, async () => {
    const api = startFake(() => new Response("busy", { status: 503 }));
    const home = makeHome([{ token: "tok", url: api.url }]);
    try {
      const r = await interruptAfter(
        args,
        home,
        (stderr) => readUntil(stderr, /retrying in 30s…/),
        { env: { CONTREE_RETRY_DELAYS: "30,30", CONTREE_CONCURRENCY: "1" } },
      );
      assert.equal(r.code, 130, r.stderr);
      assert.equal(lines(r.stderr).at(-1), "[ERROR] User interrupted");
      assert.equal(api.requests.length, 1, "no retry after Ctrl-C");
      assert.ok(r.ms < EXIT_BOUND_MS, `exited ${r.ms.toFixed(0)} ms after SIGINT`);
    } finally {
      await api.close();
      Deno.removeSync(home, { recursive: true });
    }
  });
}

Deno.test({
  name: "Ctrl-C during a poll sleep of op wait: exit 130 at once",
  ignore: NO_CHILD_SIGNALS,
}, async () => {
  const api = startFake(() => jsonResponse({ uuid: A, status: "EXECUTING" }));
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    const r = await interruptAfter(["op", "wait", A], home, async () => {
      await api.waitFor("GET", A);
      return "";
    }, { env: { CONTREE_WAIT_DELAYS: "30" } });
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      `[WARNING] Stopped waiting: 1 operation(s) not finished: ${A}`,
      "[ERROR] User interrupted",
    ]);
    assert.ok(r.ms < EXIT_BOUND_MS, `exited ${r.ms.toFixed(0)} ms after SIGINT`);
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});

// The default (8) is more than the five that hang: all five are in flight at Ctrl-C.
for (const [concurrency, inFlight] of [["1", 1], ["3", 3], [undefined, 5]] as const) {
  Deno.test({
    name:
      `kill: DELETEs in flight at Ctrl-C are reported unknown and listed as not cancelled (concurrency ${
        concurrency ?? "default"
      })`,
    ignore: NO_CHILD_SIGNALS,
  }, async () => {
    const ids = Array.from({ length: 6 }, (_, i) => uuid(i + 1));
    // The first DELETE is answered at once; every later one hangs.
    const api: FakeServer = startFake(async (_req, url) => {
      if (url.pathname.endsWith(ids[0])) return new Response(null, { status: 202 });
      await hang(30_000, api.closed);
      return new Response(null, { status: 202 });
    });
    const home = makeHome([{ token: "tok", url: api.url }]);
    try {
      const r = await interruptAfter(["kill", ...ids], home, async (stderr) => {
        const text = await readUntil(stderr, /Cancelled operation/);
        await api.waitFor("DELETE", "", 1 + inFlight);
        return text;
      }, { env: concurrency ? { CONTREE_CONCURRENCY: concurrency } : {} });
      assert.equal(r.code, 130, r.stderr);
      const hung = ids.slice(1, 1 + inFlight);
      const never = ids.slice(1 + inFlight);
      assert.deepEqual(lines(r.stderr), [
        `[INFO] Cancelled operation ${ids[0]}`,
        ...hung.map((u) => `[WARNING] Cancel ${u}: unknown: in flight when interrupted`),
        `[WARNING] Stopped early: 1 cancelled, 0 failed, ${inFlight} unknown (in flight when interrupted), ${never.length} not attempted`,
        `[WARNING] Not cancelled: ${[...hung, ...never].join(" ")}`,
        "[ERROR] User interrupted",
      ]);
      assert.equal(api.seen("DELETE").length, 1 + inFlight, "nothing new after Ctrl-C");
      assert.ok(r.ms < EXIT_BOUND_MS, `exited ${r.ms.toFixed(0)} ms after SIGINT`);
    } finally {
      await api.close();
      Deno.removeSync(home, { recursive: true });
    }
  });
}

Deno.test({
  name: "kill: two quick Ctrl-Cs exit 130 with the not-cancelled list printed once",
  ignore: NO_CHILD_SIGNALS,
}, async () => {
  const ids = Array.from({ length: 4 }, (_, i) => uuid(i + 1));
  const api: FakeServer = startFake(async () => {
    await hang(30_000, api.closed);
    return new Response(null, { status: 202 });
  });
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    const child = spawnContree(["kill", ...ids], { home, env: { CONTREE_CONCURRENCY: "2" } });
    await api.waitFor("DELETE", "", 2);
    child.kill("SIGINT");
    child.kill("SIGINT");
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const out = await child.output();
    clearTimeout(killer);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 130, stderr);
    const listed = lines(stderr).filter((l) => l.startsWith("[WARNING] Not cancelled: "));
    assert.deepEqual(listed, [`[WARNING] Not cancelled: ${ids.join(" ")}`]);
    assert.equal(lines(stderr).at(-1), "[ERROR] User interrupted");
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});
