// Every help screen, each alias included, pinned to a fixture: any drift in wording, wrapping or
// option order fails here. The screens the original documents verbatim (kill, op cancel, op, show,
// op show, op wait) are also checked against the original's text in the spec.
import assert from "node:assert/strict";
import { makeHome, runContree } from "../helpers.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/${name}`, import.meta.url));

const SCREENS: [string, string[][]][] = [
  ["contree_help.txt", [["--help"], ["-h"]]],
  ["kill_help.txt", [["kill", "--help"], ["kill", "-h"]]],
  ["op_cancel_help.txt", [["op", "cancel", "-h"], ["op", "kill", "-h"], ["operation", "k", "-h"]]],
  ["ps_help.txt", [["ps", "--help"]]],
  ["show_help.txt", [["show", "--help"]]],
  ["op_help.txt", [["op", "--help"], ["operation", "-h"]]],
  ["op_list_help.txt", [["op", "list", "--help"], ["op", "ls", "-h"], ["operation", "ls", "-h"]]],
  ["op_show_help.txt", [["op", "show", "--help"], ["op", "sh", "-h"]]],
  ["op_wait_help.txt", [["op", "wait", "--help"], ["op", "w", "-h"]]],
  ["agent_help.txt", [["agent", "--help"], ["man", "-h"]]],
  ["completions_help.txt", [["completions", "--help"], ["completions", "bash", "-h"]]],
  // The webhook server's screen, generated from the same table: the switch may come after -h.
  ["kill_serve_help.txt", [["kill", "--serve", "--help"], ["kill", "-h", "--serve"]]],
  [
    "op_cancel_serve_help.txt",
    [["op", "cancel", "--serve", "--help"], ["operation", "k", "--port", "1", "--serve", "-h"]],
  ],
];

for (const [name, variants] of SCREENS) {
  Deno.test(`help screen ${name.replace("_help.txt", "")}: ${variants.length} spelling(s)`, async () => {
    const home = makeHome();
    try {
      const expected = fixture(name);
      for (const args of variants) {
        const r = await runContree(args, { home });
        assert.equal(r.code, 0, args.join(" "));
        assert.equal(r.stderr, "", args.join(" "));
        assert.equal(r.stdout.replaceAll(home, "<CONTREE_HOME>"), expected, args.join(" "));
      }
    } finally {
      Deno.removeSync(home, { recursive: true });
    }
  });
}

/** The flags this program adds to `kill`/`op cancel` (decision 26). */
const ADDED_FLAGS = /^ {2}(--dry-run|-y, --yes|-k |--status|--since|--until|--older-than|--serve)/;

/**
 * A help screen without its usage block and the entries of {@link ADDED_FLAGS} (with their
 * continuation lines), whitespace collapsed: what must equal the original's text.
 */
function withoutAdded(screen: string): string {
  const kept: string[] = [];
  let skipping = false;
  for (const line of screen.split("\n")) {
    if (/^usage:/.test(line) || ADDED_FLAGS.test(line)) {
      skipping = true;
      continue;
    }
    // Continuation lines of a skipped entry (or of the usage) are indented deeper than an entry.
    if (skipping && /^ {3,}\S/.test(line)) continue;
    skipping = false;
    kept.push(line);
  }
  // A re-flowed line may now break after a hyphen ("session-" / "history").
  return kept.join("\n").replace(/\s+/g, " ").replace(/(\w)- (?=\w)/g, "$1-").trim();
}

Deno.test("the screens the original documents verbatim match its text", () => {
  const spec = Deno.readTextFileSync(
    new URL("../../../shared/spec/contree-operations.md", import.meta.url),
  );
  const verbatim: [string, string][] = [
    ["kill --help", "kill_help.txt"],
    ["op cancel --help", "op_cancel_help.txt"],
    ["op --help", "op_help.txt"],
    ["show --help", "show_help.txt"],
    ["op show --help", "op_show_help.txt"],
    ["op wait --help", "op_wait_help.txt"],
  ];
  for (const [command, name] of verbatim) {
    const at = spec.indexOf(`\`contree ${command}\``);
    assert.ok(at >= 0, `spec has ${command}`);
    const block = /```\n([\s\S]*?)```/.exec(spec.slice(at))![1];
    const original = block.replaceAll("__main__.py", "contree");
    // kill --help and op cancel --help name the options this program adds (decision 26), and
    // argparse re-flows the columns for them; every other word is the original's, in order.
    if (name === "kill_help.txt" || name === "op_cancel_help.txt") {
      assert.equal(withoutAdded(fixture(name)), withoutAdded(original), command);
      assert.notEqual(withoutAdded(fixture(name)), "", command);
    } else {
      assert.equal(fixture(name), original, command);
    }
  }
});

Deno.test("kill --serve --help still says everything the hand-written screen said", async () => {
  const home = makeHome();
  try {
    const r = await runContree(["kill", "--serve", "--help"], { home });
    assert.equal(r.code, 0);
    const flat = r.stdout.replace(/\s+/g, " ");
    for (
      const text of [
        "usage: contree kill --serve [--hostname HOST] [--port PORT] [--state FILE] [--deadline SECONDS]",
        "same cancel code, profile, token and URL as `contree kill`",
        "--hostname HOST Address to listen on (default: 127.0.0.1)",
        "--port PORT Port to listen on; 0 picks a free one (default: 8787).",
        "The chosen address is logged on stderr at start.",
        "--state FILE SQLite file that keeps answered deliveries",
        "(default: in memory only)",
        "--deadline SECONDS Answer 202 and finish in the background",
        "endpoints: POST /v1/cancel",
        "GET /v1/cancel/{id} result of a delivery",
        "GET /healthz liveness, no auth",
        "GET /metrics Prometheus text",
        "environment variables:",
        "CONTREE_WEBHOOK_SECRET",
        "CONTREE_WEBHOOK_READ_TOKEN",
        "CONTREE_WEBHOOK_RATE",
        "CONTREE_WEBHOOK_UPSTREAM",
        "CONTREE_WEBHOOK_GRACE",
        "CONTREE_CONCURRENCY DELETEs in flight for one delivery (default: 8)",
        "CONTREE_WEBHOOK_RETRY_FOR",
        "CONTREE_WEBHOOK_STORE_BYTES",
        "CONTREE_WEBHOOK_HEADER_TIMEOUT",
        "CONTREE_WEBHOOK_IDLE_TIMEOUT",
        "CONTREE_WEBHOOK_REQUEST_TIMEOUT",
        "CONTREE_WEBHOOK_MAX_CONNECTIONS",
        "Access logs are JSON lines on stderr, one per request (-L warning hides them).",
      ]
    ) assert.ok(flat.includes(text), text);
    // The plain screen names the switch (decision 26), never the server's own flags.
    const plain = await runContree(["kill", "--help"], { home });
    assert.match(plain.stdout, /^ {2}--serve {2,}Run the webhook server/m);
    assert.doesNotMatch(plain.stdout, /--hostname|--port|CONTREE_WEBHOOK/);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});
