import assert from "node:assert/strict";
import { ROOT } from "../../lib/cli/commands.ts";
import { formatUsage, wrap } from "../../lib/cli/help.ts";
import { parseArgv } from "../../lib/cli/parse.ts";

function run(argv: string[]) {
  const r = parseArgv(ROOT, argv);
  if (r.kind !== "run") throw new Error(`expected run, got ${JSON.stringify(r)}`);
  return { names: r.path.map((c) => c.name), args: r.values.at(-1)!, globals: r.values[0] };
}

Deno.test("parse: global flags before the command, positionals and switches interleave", () => {
  const r = run(["-p", "staging", "--url=http://h", "kill", "a", "-a", "b"]);
  assert.deepEqual(r.names, ["contree", "kill"]);
  assert.equal(r.globals.profile, "staging");
  assert.equal(r.globals.url, "http://h");
  assert.deepEqual(r.args.uuids, ["a", "b"]);
  assert.equal(r.args.all, true);
});

Deno.test("parse: aliases route to the same command; unique long prefixes; -- ends flags", () => {
  assert.deepEqual(run(["op", "k", "x"]).names, ["contree", "operation", "cancel"]);
  assert.equal(run(["kill", "--al"]).args.all, true);
  assert.deepEqual(run(["kill", "--", "-a"]).args.uuids, ["-a"]);
  assert.deepEqual(run(["kill", "-1"]).args.uuids, ["-1"]); // negative numbers are positionals
});

Deno.test("parse: values attached or separate, clustered switches, int conversion", () => {
  assert.equal(run(["op", "wait", "-t5", "x"]).args.timeout, 5);
  assert.equal(run(["op", "wait", "--timeout", "7"]).args.timeout, 7);
  const ps = run(["ps", "-qa"]);
  assert.equal(ps.args.quiet, true);
  assert.equal(ps.args.all, true);
  const bad = parseArgv(ROOT, ["op", "wait", "-t", "0"]);
  assert.equal(bad.kind === "error" && bad.message, "argument -t/--timeout: must be >= 1, got 0");
  const nan = parseArgv(ROOT, ["op", "wait", "-t", "x"]);
  assert.equal(
    nan.kind === "error" && nan.message,
    "argument -t/--timeout: invalid int value: 'x'",
  );
});

Deno.test("parse: ambiguous prefixes and -h anywhere in a command", () => {
  const amb = parseArgv(ROOT, ["ps", "--s", "x"]);
  assert.equal(
    amb.kind === "error" && amb.message,
    "ambiguous option: --s could match --status, --since, --show-max",
  );
  const help = parseArgv(ROOT, ["op", "cancel", "x", "-h"]);
  assert.equal(help.kind === "immediate" && help.command.usageName, "operation cancel");
});

Deno.test("wrap: textwrap semantics (hyphen breaks between letters, long words split)", () => {
  assert.deepEqual(wrap("Accepts UUIDs and session-history references", 30), [
    "Accepts UUIDs and session-",
    "history references",
  ]);
  assert.deepEqual(wrap("a   b\n c", 10), ["a b c"]);
  assert.deepEqual(wrap("@-N, @+N, :N", 5), ["@-N,", "@+N,", ":N"]);
  assert.deepEqual(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
});

Deno.test("usage: wraps optionals after the program name and positionals on their own line", () => {
  const ps = ROOT.subcommands!.commands.find((c) => c.name === "ps")!;
  assert.equal(
    formatUsage(ps, 78),
    "usage: contree ps [-h] [-q] [-a]\n" +
      "                  [--status {P,PENDING,A,ASSIGNED,E,EXECUTING,S,SUCCESS,F,FAILED,C,CANCELLED}]\n" +
      "                  [-k {image_import,instance}] [--since SINCE] [--until UNTIL]\n" +
      "                  [-M SHOW_MAX]\n",
  );
});
