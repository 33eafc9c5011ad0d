// Pinned Hono. Imported only by the --serve code and the test emulator, always lazily from the
// CLI, so plain commands never load it.
export { Hono } from "npm:hono@4.13.19";
export type { Context, MiddlewareHandler } from "npm:hono@4.13.19";
export { bodyLimit } from "npm:hono@4.13.19/body-limit";
