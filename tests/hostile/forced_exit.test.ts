// Issue 10 item 7: a second Ctrl-C exits at once, printing the list it has. In-process, with a
// `fetch` that ignores its abort signal (something stuck that the first Ctrl-C cannot stop).
import assert from "node:assert/strict";
import { bufferWriter } from "../../lib/cli/io.ts";
import { runCli } from "../../lib/cli/run.ts";
import { lines, makeHome } from "../helpers.ts";

const ids = Array.from(
  { length: 4 },
  (_, i) => `019e3fb6-e2d8-7350-a8f9-${(i + 1).toString(16).padStart(12, "0")}`,
);

Deno.test("kill: a second Ctrl-C while a DELETE is stuck exits 130 at once with the list", async () => {
  const home = makeHome([{ token: "tok", url: "http://127.0.0.1:9" }]);
  const stderr = bufferWriter();
  let interrupt: (() => void) | undefined;
  let requests = 0;
  const exited = Promise.withResolvers<{ code: number; stderr: string }>();
  const stuck = new Promise<Response>(() => {}); // never settles, whatever the signal says
  const fakeFetch = ((_url: string | URL | Request, _init?: RequestInit) => {
    if (++requests === 1) return Promise.resolve(new Response(null, { status: 202 }));
    // The second DELETE: Ctrl-C twice while it is stuck.
    queueMicrotask(() => {
      interrupt!();
      interrupt!();
    });
    return stuck;
  }) as typeof fetch;
  try {
    void runCli(["kill", ...ids], {
      stdout: bufferWriter(),
      stderr,
      env: { CONTREE_HOME: home, CONTREE_CONCURRENCY: "1", NO_COLOR: "1" },
      fetch: fakeFetch,
      cwd: home,
    }, {
      onInterrupt: (listener) => {
        interrupt = listener;
        return () => {};
      },
      exit: (code: number) => {
        exited.resolve({ code, stderr: stderr.text() });
        return undefined as never;
      },
    });
    // Generous: the exit is immediate; without it the run hangs on the stuck DELETE.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const { code, stderr: text } = await Promise.race([
      exited.promise,
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error("no exit within 5 s of the second Ctrl-C")), 5000)
      ),
    ]).finally(() => clearTimeout(timer));
    assert.equal(code, 130);
    assert.deepEqual(lines(text), [
      `[INFO] Cancelled operation ${ids[0]}`,
      `[WARNING] Not cancelled: ${ids.slice(1).join(" ")}`,
      "[ERROR] User interrupted",
    ]);
    assert.equal(requests, 2);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});
