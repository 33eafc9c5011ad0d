// A real command's first request: `contree ps` answering from one 10-row page of a local server,
// against a raw Deno script that makes the same GET with the same headers and prints the rows,
// measured interleaved in the same run (target: ≤ 1.3× the raw script). `ps` sends the original's
// three concurrent page GETs (offsets 0, 1000, 2000); the other rows take that and the loading of
// this code base apart:
// - the raw script making those same three GETs at once (and printing the first page);
// - the raw script after loading, not running, the modules `ps` loads: the floor of this code
//   base under `deno run`;
// - `ps` with CONTREE_CONCURRENCY=1, where it sends the one GET the raw script sends;
// - a yardstick for the work itself: everything `ps` must do (read cli.ini and auth.ini, listen
//   for Ctrl-C, the three GETs under a timeout, the table in local time) written as one file;
// - `ps` from this same code turned into JavaScript by `deno transpile` (no source maps): what is
//   left when Deno loads no TypeScript;
// - `ps` bundled by `deno bundle --code-splitting`: a few JavaScript chunks, the fewest modules
//   this code could be loaded as; and the bundle with CONTREE_CONCURRENCY=1 (one GET).
// With DENORT_BIN set (a denort binary of this Deno: `deno compile` cannot download one offline),
// two more rows measure the shipped form: `ps` from the binary of deno.json's compile task for
// this machine, against the raw script compiled with the same V8 flags (target: ≤ 1.3× too).
//
//   deno task bench:first [RUNS]      (default 15 runs per case)
import { startEmulator } from "../tests/emulator/server.ts";
import { makeHome, PERMISSIONS } from "../tests/helpers.ts";
import { EXE, hostCompileArgs } from "../tests/dist/util.ts";
import {
  CONTREE,
  DENO_RUN,
  denoCommand,
  interleaved,
  median,
  ratio,
  sample,
  say,
} from "./measure.ts";

const RUNS = Number(Deno.args[0] ?? 15);

// The baseline: one fetch, the rows printed as a padded table, nothing else.
const RAW = `
const url = Deno.env.get("URL") + "/v1/operations?status=EXECUTING&offset=0&limit=1000";
const res = await fetch(url, { headers: { Authorization: "Bearer " + Deno.env.get("TOKEN") } });
const body = await res.json();
const rows = Array.isArray(body) ? body : body.operations;
let out = "UUID                                  KIND      STATUS     CREATED\\n";
for (const r of rows) {
  out += r.uuid + "  " + String(r.kind).padEnd(8) + "  " + String(r.status).padEnd(9) + "  " +
    r.created_at + "\\n";
}
Deno.stdout.writeSync(new TextEncoder().encode(out));
`;

// The baseline with ps's requests: the three page GETs sent at once, the first page printed.
const RAW_THREE = RAW.replace(
  /^const res = await fetch\(url, (\{.*\})\);$/m,
  `const get = (offset) => fetch(url.replace("offset=0", "offset=" + offset), $1);
const [res, ...rest] = await Promise.all([get(0), get(1000), get(2000)]);
await Promise.all(rest.map((r) => r.arrayBuffer()));`,
);
if (RAW_THREE === RAW) throw new Error("RAW_THREE: the fetch line of RAW was not found");

// The work `ps` does, in one file and no more: both config files, a Ctrl-C listener, the three
// concurrent page GETs under a timeout signal, the seven columns with local times.
const WORK = `
const home = Deno.env.get("CONTREE_HOME");
try { Deno.readTextFileSync(home + "/cli.ini"); } catch { /* none: defaults */ }
const auth = Deno.readTextFileSync(home + "/auth.ini");
const get = (k) => new RegExp("^" + k + "\\\\s*=\\\\s*(.*)$", "m").exec(auth)?.[1];
const stop = new AbortController();
Deno.addSignalListener("SIGINT", () => stop.abort());
const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(30000)]);
const headers = { Authorization: "Bearer " + get("token"), "User-Agent": "contree-cli" };
const page = (offset) =>
  fetch(get("url") + "/v1/operations?status=EXECUTING&offset=" + offset + "&limit=1000",
    { headers, signal, redirect: "manual" }).then((r) => r.json());
const pages = [page(0), page(1000), page(2000)];
const two = (n) => String(n).padStart(2, "0");
const local = (t) => {
  const d = new Date(t);
  return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
    two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
};
let out = "UUID                                  KIND      STATUS     DURATION  CREATED_AT           UPDATED_AT           ERROR\\n";
for (const r of await pages[0]) {
  out += r.uuid + "  " + String(r.kind).padEnd(8) + "  " + String(r.status).padEnd(9) + "  " +
    "".padEnd(8) + "  " + local(r.created_at) + "  " + local(r.updated_at) + "  " +
    String(r.error ?? "").padEnd(5) + "\\n";
}
Deno.stdout.writeSync(new TextEncoder().encode(out));
await Promise.all(pages);
Deno.exit(0);
`;

// The floor under deno run: the same script after loading (not running) the modules `ps` loads.
const lib = new URL("../lib/", import.meta.url).href;
const FLOOR = [
  "cli/run.ts",
  "cli/execute.ts",
  "commands/list.ts",
].map((m) => `await import(${JSON.stringify(lib + m)});`).join("\n") + RAW;

const ROOT = new URL("..", import.meta.url).pathname;

/** Runs `deno args…` in the repository root to its end; a failure throws with its stderr. */
function denoSync(args: string[]): void {
  const out = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(`deno ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * main.ts and lib/ as JavaScript in `dir` (`deno transpile` keeps the `.ts` of relative
 * specifiers; they are renamed to `.js` here).
 */
function transpile(dir: string): void {
  const sources = ["main.ts"];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(ROOT + rel)) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) walk(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) sources.push(path);
    }
  };
  walk("lib");
  denoSync([
    "transpile",
    "--quiet",
    "--no-check",
    "--source-map",
    "none",
    "--outdir",
    dir,
    ...sources,
  ]);
  // Each source's output has its path with `.js`: point its relative imports at those.
  for (const source of sources) {
    const path = `${dir}/${source.replace(/\.ts$/, ".js")}`;
    Deno.writeTextFileSync(
      path,
      Deno.readTextFileSync(path).replace(
        /((?:from|import)\s*\(?\s*")(\.{1,2}\/[^"]+)\.ts"/g,
        '$1$2.js"',
      ),
    );
  }
}

/** main.ts bundled by `deno bundle --code-splitting` into `dir`: a few JavaScript chunks. */
function bundle(dir: string): void {
  denoSync([
    "bundle",
    "--quiet",
    "--code-splitting",
    "--platform",
    "deno",
    "--packages",
    "external",
    "--outdir",
    dir,
    "main.ts",
  ]);
}

/** One row of the table: `deno args…`, or `program args…` for a compiled binary. */
interface Row {
  name: string;
  args: string[];
  env?: Record<string, string>;
  program?: string;
  checked?: boolean;
}

const DENORT_BIN = Deno.env.get("DENORT_BIN");
const RAW_BINARY = "raw fetch script, compiled";
const PS_BINARY = "contree ps, compiled";

/**
 * The raw script and contree compiled into `dir` by `deno compile` (with DENORT_BIN): the raw
 * script with the shipped V8 flags, contree by deno.json's compile task for this machine.
 */
function compileBinaries(dir: string, raw: string): { raw: string; contree: string } {
  const out = { raw: `${dir}/raw-bin${EXE}`, contree: `${dir}/contree${EXE}` };
  denoSync([
    "compile",
    ...DENO_RUN.slice(1), // --quiet and the V8 flags
    "--allow-net",
    "--allow-env",
    "--output",
    out.raw,
    raw,
  ]);
  denoSync(hostCompileArgs(out.contree));
  return out;
}

const emu = await startEmulator({ record: false });
emu.seed(10, { status: "EXECUTING" });
const home = makeHome([{ token: emu.token, url: emu.url }]);
// The scripts, the JavaScript and the bundle: one temporary directory, removed at the end.
const tmp = Deno.makeTempDirSync({ prefix: "contree-first-" });
try {
  const script = (name: string, text: string) => {
    Deno.writeTextFileSync(`${tmp}/${name}`, text);
    return `${tmp}/${name}`;
  };
  const raw = script("raw.ts", RAW);
  const rawThree = script("raw_three.ts", RAW_THREE);
  const floor = script("floor.ts", FLOOR);
  const work = script("work.ts", WORK);
  const js = `${tmp}/js`;
  transpile(js);
  const bundled = `${tmp}/bundle`;
  bundle(bundled);
  const env = { CONTREE_HOME: home, URL: emu.url, TOKEN: emu.token };
  const PS = "contree ps (one 10-row page)";
  // `checked`: the row prints what `ps` prints, byte for byte, or the run stops.
  const rows: Row[] = [
    {
      name: "raw fetch script (baseline)",
      args: [...DENO_RUN, "--allow-net", "--allow-env", raw],
    },
    {
      name: "raw script, ps's three GETs",
      args: [...DENO_RUN, "--allow-net", "--allow-env", rawThree],
    },
    {
      name: "raw script + ps's modules loaded",
      args: [...DENO_RUN, "--allow-net", "--allow-env", "--allow-read", floor],
    },
    { name: PS, args: [...CONTREE, "ps"], checked: true },
    {
      name: "contree ps, CONTREE_CONCURRENCY=1",
      args: [...CONTREE, "ps"],
      env: { CONTREE_CONCURRENCY: "1" },
      checked: true,
    },
    {
      name: "ps's work in one file (yardstick)",
      args: [...DENO_RUN, "--allow-net", "--allow-env", "--allow-read", work],
      checked: true,
    },
    {
      name: "ps from the code as JavaScript",
      args: [...DENO_RUN, ...PERMISSIONS, `${js}/main.js`, "ps"],
      checked: true,
    },
    {
      name: "ps from the code bundled",
      args: [...DENO_RUN, ...PERMISSIONS, `${bundled}/main.js`, "ps"],
      checked: true,
    },
    {
      name: "ps bundled, CONTREE_CONCURRENCY=1",
      args: [...DENO_RUN, ...PERMISSIONS, `${bundled}/main.js`, "ps"],
      env: { CONTREE_CONCURRENCY: "1" },
      checked: true,
    },
  ];
  const binaries = DENORT_BIN ? compileBinaries(tmp, raw) : undefined;
  if (binaries) {
    rows.push(
      { name: RAW_BINARY, args: [], program: binaries.raw },
      { name: PS_BINARY, args: ["ps"], program: binaries.contree, checked: true },
    );
  }
  const cases = rows.map((c) => ({
    ...c,
    run: () => sample(c.args, { ...env, ...c.env }, c.program),
  }));
  const checked = cases.filter((c) => c.checked);
  const [psOut, ...others] = await Promise.all(checked.map(async (c) => {
    const { stdout } = await denoCommand(c.args, { ...env, ...c.env }, c.program).output();
    return new TextDecoder().decode(stdout);
  }));
  for (const [i, out] of others.entries()) {
    if (out !== psOut) throw new Error(`${checked[1 + i].name} prints another table:\n${out}`);
  }
  const results = await interleaved(cases, RUNS);
  const msOf = (name: string) => median(results.get(name)!.map((s) => s.ms));
  const line = (name: string, base: number, target?: number) => {
    const ms = msOf(name);
    const lines = results.get(name)![0].lines;
    say(
      `  ${name.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms  ${lines} lines  ${
        ratio(ms, base, target)
      }`,
    );
  };
  say(`first request, median of ${RUNS} interleaved runs (Deno ${Deno.version.deno})`);
  const base = msOf(rows[0].name);
  for (const row of rows) {
    if (row.program) continue;
    line(row.name, base, row.name === PS ? 1.3 : undefined);
  }
  if (binaries) {
    say(`compiled by deno compile (DENORT_BIN=${DENORT_BIN}), against the compiled raw script`);
    line(RAW_BINARY, msOf(RAW_BINARY));
    line(PS_BINARY, msOf(RAW_BINARY), 1.3);
  } else {
    say(
      `compiled binaries: not measured (set DENORT_BIN to a denort binary of Deno ${Deno.version.deno})`,
    );
  }
} finally {
  await emu.close();
  Deno.removeSync(home, { recursive: true });
  Deno.removeSync(tmp, { recursive: true });
}
