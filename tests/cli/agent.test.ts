// End-to-end tests of `contree agent` / `contree man`: local, no profile, no HTTP.
import assert from "node:assert/strict";
import { AGENT_TOPICS } from "../../lib/cli/commands.ts";
import { MANUAL, MANUAL_TITLE } from "../../lib/commands/agent.ts";
import { runContree, tempHome } from "../helpers.ts";

Deno.test("agent: the whole manual with title, rules and every section; man is an alias", async () => {
  using home = tempHome(); // no profile at all: agent needs none
  const r = await runContree(["agent"], { home: home.path });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const out = r.stdout.split("\n");
  assert.equal(out[0], MANUAL_TITLE);
  assert.equal(out[1], "=".repeat(MANUAL_TITLE.length));
  assert.equal(out[2], "");
  for (const s of MANUAL) {
    const i = out.indexOf(s.title);
    assert.ok(i > 0, s.title);
    assert.equal(out[i - 1], "");
    assert.equal(out[i + 1], "-".repeat(s.title.length));
  }
  assert.ok(r.stdout.endsWith("\n") && !r.stdout.endsWith("\n\n"));
  const man = await runContree(["man"], { home: home.path });
  assert.equal(man.stdout, r.stdout);
});

Deno.test("agent TOPIC: one section; every topic in the table has one; bad topic exits 2", async () => {
  using home = tempHome();
  assert.deepEqual(
    [...AGENT_TOPICS].sort(),
    ["all", ...MANUAL.map((s) => s.topic)].sort(),
  );
  const r = await runContree(["agent", "wait"], { home: home.path });
  assert.equal(r.code, 0, r.stderr);
  const wait = MANUAL.find((s) => s.topic === "wait")!;
  assert.equal(
    r.stdout,
    `${MANUAL_TITLE}\n${"=".repeat(MANUAL_TITLE.length)}\n\n${wait.title}\n${
      "-".repeat(wait.title.length)
    }\n${wait.body}\n`,
  );
  const bad = await runContree(["agent", "commands"], { home: home.path });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /contree agent: error: argument topic: invalid choice: 'commands'/);
});

Deno.test("agent -f json: one row per section with its index and count", async () => {
  using home = tempHome();
  const r = await runContree(["-f", "json", "agent"], { home: home.path });
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, MANUAL.length);
  rows.forEach((row, i) => {
    assert.deepEqual(Object.keys(row), [
      "command",
      "topic",
      "section",
      "text",
      "section_index",
      "section_count",
    ]);
    assert.equal(row.command, "agent");
    assert.equal(row.topic, "all");
    assert.equal(row.section, MANUAL[i].title);
    assert.equal(row.text, MANUAL[i].body);
    assert.equal(row.section_index, i + 1);
    assert.equal(row.section_count, MANUAL.length);
  });
  const csv = await runContree(["-f", "csv", "agent", "exit_codes"], { home: home.path });
  assert.equal(csv.code, 0);
  assert.match(
    csv.stdout,
    /^command,topic,section,text,section_index,section_count\r\nagent,exit_codes,Exit codes,"0 /,
  );
});

Deno.test("agent: the manual names what mutates, the exit codes, references and jq recipes", async () => {
  using home = tempHome();
  const r = await runContree(["agent"], { home: home.path });
  for (
    const needle of [
      /Mutating/,
      /kill/,
      /EXECUTING operations only/,
      /HEAD~N/,
      /jq -r \.uuid/,
      /130/,
      /--serve/,
      /timed_out/,
    ]
  ) assert.match(r.stdout, needle);
});

Deno.test("help screens point at the manual", async () => {
  using home = tempHome();
  const r = await runContree(["ps", "--help"], { home: home.path });
  assert.ok(
    r.stdout.includes(
      "agent note:\n  Before using this command in an automated workflow, read:\n    contree agent\n",
    ),
  );
});
