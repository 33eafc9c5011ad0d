// A tiny hostile API for tests: a `Deno.serve` on 127.0.0.1 with a free port, a handler of the
// test's choosing and a log of every request it saw.

/** One request as the fake saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query as sent (`/v1/operations?status=PENDING&limit=100&offset=0`). */
  target: string;
  headers: Record<string, string>;
}

/** A running fake server. */
export interface FakeServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request, in arrival order. */
  requests: SeenRequest[];
  /** Requests with this method whose target contains `part`. */
  seen(method: string, part?: string): SeenRequest[];
  /** Resolves once a request matching `method` (and `part`) has arrived. */
  waitFor(method: string, part?: string, count?: number): Promise<void>;
  /** Aborts when {@link FakeServer.close} starts: what a handler's waits end on (see `hang`). */
  closed: AbortSignal;
  close(): Promise<void>;
}

/** Starts a fake API whose every request is answered by `handler`. */
export function startFake(
  handler: (req: Request, url: URL, n: number) => Response | Promise<Response>,
): FakeServer {
  const requests: SeenRequest[] = [];
  const waiters: (() => void)[] = [];
  const closing = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    requests.push({
      method: req.method,
      target: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
    });
    for (const w of waiters.splice(0)) w();
    return handler(req, url, requests.length);
  });
  const fake: FakeServer = {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    seen: (method, part = "") =>
      requests.filter((r) => r.method === method && r.target.includes(part)),
    async waitFor(method, part = "", count = 1) {
      // Bounded: a test that waits for a request that never comes fails instead of hanging.
      const deadline = Date.now() + 20_000;
      while (fake.seen(method, part).length < count) {
        if (Date.now() > deadline) throw new Error(`no ${method} ${part} request arrived`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1000);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    closed: closing.signal,
    async close() {
      closing.abort();
      await server.shutdown();
    },
  };
  return fake;
}

/** A JSON 200 answer. */
export function jsonResponse(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * Resolves after `ms`, or at once when `closed` (the fake's {@link FakeServer.closed}) aborts, so
 * close() never waits for it. (Not the request's signal: reading it makes Deno 2.9 print a
 * warning about its legacy behaviour.)
 */
export function hang(ms: number, closed: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    closed.addEventListener("abort", done, { once: true });
  });
}

/** Reads a child's stderr until `pattern` appears (or the stream ends); returns what it read. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  pattern: RegExp,
  sofar = "",
): Promise<string> {
  let text = sofar;
  while (!pattern.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return text;
}

/** Reads the rest of a stream. */
export async function readAll(reader: ReadableStreamDefaultReader<string>, sofar = "") {
  let text = sofar;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
  }
}

/** What a bounded run produced; `killed` when it had to be ended at the deadline. */
export interface BoundedResult {
  code: number;
  stdout: string;
  stderr: string;
  killed: boolean;
}

/**
 * Runs a spawned child to its end, or SIGKILLs it after `ms` (so a test of an endless loop fails
 * instead of hanging). The caller asserts `killed` is false.
 */
export async function finishWithin(child: Deno.ChildProcess, ms: number): Promise<BoundedResult> {
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, ms);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      killed,
    };
  } finally {
    clearTimeout(timer);
  }
}
