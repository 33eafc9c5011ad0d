// The domain's one stop-by-user error, shared by every bulk operation and mapped by the CLI.

/** Raised after a bulk command stopped on Ctrl-C; the CLI maps it to `User interrupted`, 130. */
export class Interrupted extends Error {
  override name = "Interrupted";
  constructor() {
    super("User interrupted");
  }
}
