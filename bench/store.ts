// The delivery stores of `--serve` at their bounds: what one delivery costs (claimed in one turn,
// saved final in the next, 32 per turn as under load), first in a store holding only finished
// records, then in one also holding many unfinished records (an API outage: deliveries answered
// 202 and retried in the background, which are never evicted). Keeping to the bounds must cost
// the same whatever else the store holds: target ≤ 2× the first case. The longest turn is a pause
// of the server's event loop.
//
//   deno task bench:store [-- --deliveries 20000 --bound 10000 --unfinished 100000]
import { parseArgs } from "node:util";
import { type DeliveryStore, memoryStore, sqliteStore } from "../lib/serve/dedupe/index.ts";
import { deliveryRecord } from "../lib/serve/dedupe/fixtures.ts";
import { benchArgs, ratio, say } from "./measure.ts";

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    deliveries: { type: "string", default: "20000" },
    bound: { type: "string", default: "10000" },
    unfinished: { type: "string", default: "100000" },
  },
});
const deliveries = Number(values.deliveries);
const bound = Number(values.bound);
const unfinished = Number(values.unfinished);
const TURN = 32;

/** A record made now, leased for an hour, with `fields` over it. */
const fresh = (id: string, fields = {}) =>
  deliveryRecord(id, fields, { now: Date.now(), leaseMs: 3600_000 });

/** Per-delivery microseconds and the longest turn (ms) of `n` deliveries into `store`. */
async function run(store: DeliveryStore, prefix: string, n: number) {
  let longest = 0;
  const started = performance.now();
  for (let i = 0; i < n; i += TURN) {
    const t = performance.now();
    const claimed = [];
    for (let k = i; k < Math.min(i + TURN, n); k++) {
      claimed.push(store.claim(fresh(`${prefix}${k}`), Date.now()).record);
    }
    await Promise.resolve();
    for (const r of claimed) {
      store.save({ ...r, state: "final", codes: "c", updatedAt: Date.now() });
    }
    await Promise.resolve();
    longest = Math.max(longest, performance.now() - t);
  }
  return { us: (performance.now() - started) * 1000 / n, longest };
}

/** The store filled to its bound with finished records (and `open` unfinished ones first). */
async function atBound(make: (maxEntries: number) => DeliveryStore, open: number) {
  const store = make(bound + open);
  for (let i = 0; i < open; i++) {
    store.claim(fresh(`open_${i}`, { state: "retrying" }), Date.now());
    if (i % 1000 === 999) await Promise.resolve();
  }
  await run(store, "fill_", bound);
  return store;
}

const dir = Deno.makeTempDirSync({ prefix: "contree-bench-store-" });
try {
  const kinds: [string, (name: string) => (maxEntries: number) => DeliveryStore][] = [
    ["memory store", () => (maxEntries) => memoryStore({ maxEntries })],
    ["sqlite store", (name) => (maxEntries) => sqliteStore(`${dir}/${name}.db`, { maxEntries })],
  ];
  say(
    `${deliveries} deliveries, ${TURN} per turn, into a store at its bound of ${bound} finished ` +
      `records (Deno ${Deno.version.deno})`,
  );
  for (const [kind, maker] of kinds) {
    const plain = await atBound(maker("plain"), 0);
    const base = await run(plain, "d_", deliveries);
    plain.close();
    const loaded = await atBound(maker("loaded"), unfinished);
    const withOpen = await run(loaded, "d_", deliveries);
    loaded.close();
    say(
      `  ${kind}: ${base.us.toFixed(1)} µs per delivery (longest turn ${
        base.longest.toFixed(1)
      } ms); with ${unfinished} unfinished: ${withOpen.us.toFixed(1)} µs (longest turn ${
        withOpen.longest.toFixed(1)
      } ms), ${ratio(withOpen.us, base.us, 2)}`,
    );
  }
} finally {
  Deno.removeSync(dir, { recursive: true });
}
