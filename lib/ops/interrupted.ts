// The domain's one stop-by-user error, shared by every bulk operation and mapped by the CLI.
// Defined in lib/async/abort.ts so the HTTP client can throw it too; re-exported here.
export { Interrupted } from "../async/abort.ts";
