// Fails when the modules under lib/ (plus main.ts and mod.ts) import each other in a circle.
// Static and dynamic relative imports both count: a lazy import is still a dependency.
//
//   deno run --allow-read scripts/check_cycles.ts
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g;

function* sources(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) yield path;
  }
}

const graph = new Map<string, string[]>();
for (const file of ["main.ts", "mod.ts", ...sources("lib")]) {
  // JSDoc examples import "./mod.ts" too: comments are not dependencies.
  const text = Deno.readTextFileSync(join(ROOT, file)).replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const deps = [...text.matchAll(IMPORT)].map((m) => normalize(join(dirname(file), m[1])));
  graph.set(file, deps.filter((d) => d.startsWith("lib") || d === "main.ts" || d === "mod.ts"));
}

// Depth-first search with colours; each back edge is one circle.
const state = new Map<string, "open" | "done">();
const stack: string[] = [];
const circles: string[][] = [];
function visit(node: string): void {
  state.set(node, "open");
  stack.push(node);
  for (const dep of graph.get(node) ?? []) {
    if (state.get(dep) === "open") circles.push([...stack.slice(stack.indexOf(dep)), dep]);
    else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(node, "done");
}
for (const node of graph.keys()) if (!state.has(node)) visit(node);

const encoder = new TextEncoder();
if (circles.length) {
  for (const c of circles) {
    Deno.stderr.writeSync(
      encoder.encode(`import circle: ${c.map((f) => relative(".", f)).join(" → ")}\n`),
    );
  }
  Deno.exit(1);
}
Deno.stdout.writeSync(encoder.encode(`no import circles among ${graph.size} modules\n`));
