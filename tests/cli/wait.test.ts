// End-to-end tests of `contree op wait` / `op w`: the real main.ts against the emulator.
import assert from "node:assert/strict";
import {
  CONCURRENCY_CASES,
  homeFor,
  lines,
  NO_CHILD_SIGNALS,
  runContree,
  spawnContree,
  withEmulator,
} from "../helpers.ts";

/** Short poll delays so tests stay fast (the real back-off is 0.5, 1, 2, 4, 5 s). */
const FAST = { CONTREE_WAIT_DELAYS: "0.02" };
const jsonRows = (stdout: string) =>
  stdout.trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const withExit = (exit_code: number | null) => ({
  metadata: { result: { state: exit_code === null ? {} : { exit_code } } },
});

Deno.test("op wait: SUCCESS on the first poll is one request, exit 0, head columns first", () =>
  withEmulator(async (emu) => {
    const op = emu.add({ status: "SUCCESS", ...withExit(0) });
    const r = await runContree(["-f", "json", "op", "wait", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const [row] = jsonRows(r.stdout);
    assert.deepEqual(Object.keys(row).slice(0, 5), [
      "uuid",
      "status",
      "exit_code",
      "timed_out",
      "duration",
    ]);
    assert.equal(Object.keys(row).at(-1), "error");
    assert.equal(row.exit_code, 0);
    assert.equal(row.timed_out, false);
    assert.equal(row.duration, 1.5);
    assert.equal(emu.seen("GET").length, 1);
  }));

Deno.test("op wait: polls until terminal (PENDING → EXECUTING → SUCCESS); op w is the same", () =>
  withEmulator(async (emu) => {
    const op = emu.add({ status: "PENDING" });
    emu.onPoll(op.uuid, 2, { status: "EXECUTING" });
    emu.onPoll(op.uuid, 4, { status: "SUCCESS", duration: 3, ...withExit(0) });
    const r = await runContree(["-f", "json", "op", "w", op.uuid], {
      home: homeFor(emu),
      env: FAST,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(emu.seen("GET", op.uuid).length, 4);
    const rows = jsonRows(r.stdout);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, "SUCCESS");
    assert.match(r.stdout, /"duration": 3\.0,/);
  }));

Deno.test("op wait: exit status from status and sandbox exit codes", () =>
  withEmulator(async (emu) => {
    const home = homeFor(emu);
    const code = async (...ops: { status: string; exit?: number | null; old?: number }[]) => {
      const uuids = ops.map((o) =>
        emu.add({
          status: o.status,
          ...withExit(o.exit ?? null),
          ...(o.old === undefined ? {} : { result: { exit_code: o.old } }),
        }).uuid
      );
      const r = await runContree(["-f", "json", "op", "wait", ...uuids], { home, env: FAST });
      return { code: r.code, rows: jsonRows(r.stdout) };
    };
    assert.equal((await code({ status: "SUCCESS", exit: 0 })).code, 0);
    const one = await code({ status: "SUCCESS", exit: 1 });
    assert.equal(one.code, 1);
    assert.equal(one.rows[0].status, "SUCCESS");
    assert.equal(one.rows[0].exit_code, 1);
    assert.equal((await code({ status: "SUCCESS", exit: 42 })).code, 42);
    const failed = await code({ status: "FAILED" });
    assert.equal(failed.code, 1);
    assert.equal(failed.rows[0].exit_code, null);
    assert.equal(failed.rows[0].error, "boom");
    assert.equal((await code({ status: "SUCCESS", exit: 42 }, { status: "FAILED" })).code, 42);
    assert.equal((await code({ status: "FAILED", exit: 3 })).code, 3);
    assert.equal((await code({ status: "CANCELLED" })).code, 1);
    assert.equal((await code({ status: "SUCCESS", exit: -9 })).code, 0); // negative: ignored
    assert.equal((await code({ status: "SUCCESS", exit: 300 })).code, 255); // capped, never 0
    const old = await code({ status: "SUCCESS", old: 5 }); // the older result.exit_code location
    assert.equal(old.code, 5);
    assert.equal(old.rows[0].exit_code, 5);
  }));

for (const { name, env } of CONCURRENCY_CASES) {
  Deno.test(`op wait: rows of one round come in input order; duplicates collapse (${name})`, () =>
    withEmulator(async (emu) => {
      const ops = emu.seed(4, { status: "SUCCESS" });
      const order = [ops[2], ops[0], ops[3], ops[1]].map((o) => o.uuid);
      // The first-given answers last: input order must not come from arrival order.
      emu.fault({ delayMs: 100 });
      const r = await runContree(["-f", "json", "op", "wait", ...order, order[0]], {
        home: homeFor(emu),
        env: { ...FAST, ...env },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stderr), [
        `[WARNING] Operation ${order[0]} given more than once; acting on it once`,
      ]);
      assert.deepEqual(jsonRows(r.stdout).map((o) => o.uuid), order);
      assert.equal(emu.seen("GET").length, 4);
    }));
}

Deno.test("op wait: the timeout prints timed-out rows (no exit_code), warns, exit 1", () =>
  withEmulator(async (emu) => {
    const stuck = emu.add({ status: "EXECUTING" });
    const done = emu.add({ status: "SUCCESS", ...withExit(0) });
    const r = await runContree(
      ["-f", "json", "op", "wait", "-t", "1", stuck.uuid, done.uuid],
      { home: homeFor(emu), env: { CONTREE_WAIT_DELAYS: "0.1,0.2" } },
    );
    assert.equal(r.code, 1);
    const rows = jsonRows(r.stdout);
    assert.deepEqual(rows.map((o) => [o.uuid, o.status, o.timed_out]), [
      [done.uuid, "SUCCESS", false],
      [stuck.uuid, "EXECUTING", true],
    ]);
    assert.ok(!("exit_code" in rows[1]));
    assert.deepEqual(Object.keys(rows[1]).slice(0, 3), ["uuid", "status", "timed_out"]);
    assert.deepEqual(lines(r.stderr), [
      "[WARNING] Timeout: 1 operation(s) did not finish in 1s",
    ]);
    const polls = emu.seen("GET", stuck.uuid).length;
    assert.ok(polls >= 3, `only ${polls} GETs`);
    // Timed out alongside a higher sandbox code: the higher code wins.
    const stuck2 = emu.add({ status: "EXECUTING" });
    const high = emu.add({ status: "SUCCESS", ...withExit(7) });
    const r2 = await runContree(["op", "wait", "-t", "1", stuck2.uuid, high.uuid], {
      home: homeFor(emu),
      env: FAST,
    });
    assert.equal(r2.code, 7);
    assert.match(r2.stdout, /^UUID +STATUS +EXIT_CODE +TIMED_OUT +DURATION /);
  }));

Deno.test("op wait: a 404 while polling ends the command with the API error, exit 1", () =>
  withEmulator(async (emu) => {
    const missing = "019e3fb6-e447-760d-b7ab-62ef51f91b1f";
    const r = await runContree(["op", "wait", missing], { home: homeFor(emu), env: FAST });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      '[ERROR] API 404 Not Found: {"detail":"Operation not found"}',
    ]);
  }));

Deno.test("op wait: needs UUIDs or --all; --all waits for every active operation", () =>
  withEmulator(async (emu) => {
    const none = await runContree(["op", "wait"], { home: homeFor(emu) });
    assert.equal(none.code, 1);
    assert.deepEqual(lines(none.stderr), ["[ERROR] Provide at least one UUID, or use --all"]);
    const idle = await runContree(["op", "wait", "--all"], { home: homeFor(emu) });
    assert.equal(idle.code, 0);
    assert.deepEqual(lines(idle.stderr), ["[INFO] No active operations to wait for"]);
    assert.deepEqual(
      emu.seen("GET").map((q) => q.query.status),
      ["PENDING", "ASSIGNED", "EXECUTING"],
    );
    const done = emu.add({ status: "SUCCESS" });
    const p = emu.add({ status: "PENDING" });
    const e = emu.add({ status: "EXECUTING" });
    emu.onPoll(p.uuid, 1, { status: "SUCCESS" });
    emu.onPoll(e.uuid, 2, { status: "CANCELLED" });
    const r = await runContree(["-f", "json", "op", "wait", "-a", done.uuid], {
      home: homeFor(emu),
      env: FAST,
    });
    assert.equal(r.code, 1, r.stderr); // CANCELLED is not SUCCESS
    assert.deepEqual(lines(r.stderr), [
      "[WARNING] --all overrides explicit UUIDs; waiting for all active",
    ]);
    assert.deepEqual(jsonRows(r.stdout).map((o) => o.uuid), [p.uuid, e.uuid]);
  }));

Deno.test("op wait: usage errors for --timeout; references resolve (upper-case UUID)", () =>
  withEmulator(async (emu) => {
    for (const [t, msg] of [["0", "must be >= 1, got 0"], ["x", "invalid int value: 'x'"]]) {
      const r = await runContree(["op", "wait", "-t", t, "x"], { home: homeFor(emu) });
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        new RegExp(`contree operation wait: error: argument -t/--timeout: ${msg}\n$`),
      );
    }
    const op = emu.add({ status: "SUCCESS" });
    const r = await runContree(["op", "wait", op.uuid.toUpperCase()], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(emu.seen("GET").map((q) => q.path), [`/v1/operations/${op.uuid}`]);
    const bad = await runContree(["op", "wait", "definitely-not-uuid"], { home: homeFor(emu) });
    assert.equal(bad.code, 1);
    assert.deepEqual(lines(bad.stderr), [
      "[ERROR] Invalid operation reference: definitely-not-uuid",
    ]);
  }));

Deno.test({
  name: "op wait: Ctrl-C stops waiting cleanly, rows already printed stay, exit 130",
  ignore: NO_CHILD_SIGNALS,
}, () =>
  withEmulator(async (emu) => {
    const stuck = emu.add({ status: "EXECUTING" });
    const done = emu.add({ status: "SUCCESS" });
    const child = spawnContree(["-f", "json", "op", "wait", "-t", "60", done.uuid, stuck.uuid], {
      home: homeFor(emu),
      env: { CONTREE_WAIT_DELAYS: "0.05" },
    });
    await emu.waitFor("GET", stuck.uuid, 2);
    child.kill("SIGINT");
    const out = await child.output();
    const dec = new TextDecoder();
    assert.equal(out.code, 130);
    assert.deepEqual(jsonRows(dec.decode(out.stdout)).map((o) => o.uuid), [done.uuid]);
    assert.deepEqual(lines(dec.decode(out.stderr)), [
      `[WARNING] Stopped waiting: 1 operation(s) not finished: ${stuck.uuid}`,
      "[ERROR] User interrupted",
    ]);
  }));

for (const { name, env } of CONCURRENCY_CASES) {
  Deno.test(`op wait --all: an operation listed under two statuses is one row (${name})`, () =>
    withEmulator(async (emu) => {
      const p = emu.add({ status: "PENDING" }).uuid;
      const moving = emu.add({ status: "PENDING" }).uuid;
      const e = emu.add({ status: "EXECUTING" }).uuid;
      emu.alsoListAs(moving, "EXECUTING");
      for (const u of [p, moving, e]) emu.onPoll(u, 1, { status: "SUCCESS" });
      const r = await runContree(["-f", "json", "op", "wait", "--all"], {
        home: homeFor(emu),
        env: { ...FAST, ...env },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.deepEqual(jsonRows(r.stdout).map((o) => o.uuid), [moving, p, e]);
      assert.equal(emu.seen("GET", `/v1/operations/${moving}`).length, 1);
    }));
}
